/**
 * validateTemplate: every problem with an untrusted layout, per block, with stable codes,
 * for a designer to show in place. Schema issues (zod) and semantic checks (duplicate ids,
 * placeholders, bounds, format) are all reported together; nothing stops at the first.
 */
import type {z} from 'zod';
import {Block, canvasSize, MAX_BLOCKS, TemplateLayout, type TemplateProblem, type TemplateProblemCode} from './template.js';
import {isKnownPlaceholder, scanPlaceholders} from './text.js';

/** Smallest QR side that scans reliably from print (≈ 14 mm at 72 units per inch). */
export const MIN_QR_SIZE = 40;
/** How far a block may poke past the canvas edge (rounding in a designer). */
const BOUNDS_TOLERANCE = 0.5;

type Path = (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rawBlockId(input: unknown, index: number): string | undefined {
  if(!isRecord(input) || !Array.isArray(input.blocks)) return undefined;
  const block: unknown = input.blocks[index];
  return isRecord(block) && typeof block.id === 'string' && block.id.length <= 40 ? block.id : undefined;
}

function problem(input: unknown, code: TemplateProblemCode, path: Path, message: string): TemplateProblem {
  const p: TemplateProblem = {code, path, message};
  if(path[0] === 'blocks' && typeof path[1] === 'number') {
    const id = rawBlockId(input, path[1]);
    if(id !== undefined) p.blockId = id;
  }
  return p;
}

function issueCode(issue: z.core.$ZodIssue): TemplateProblemCode {
  if(issue.code === 'unrecognized_keys') return 'TEMPLATE_UNKNOWN_FIELD';
  if(issue.code === 'too_big' && issue.path.length === 1 && issue.path[0] === 'blocks') return 'TEMPLATE_TOO_MANY_BLOCKS';
  if(issue.code === 'invalid_union' && 'discriminator' in issue && issue.path[0] === 'blocks' && issue.path.length === 3) return 'TEMPLATE_BLOCK_TYPE_UNKNOWN';
  return 'TEMPLATE_INVALID_FIELD';
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if(issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  if(issue.code === 'too_big' && issue.path.length === 1 && issue.path[0] === 'blocks') return `a template has at most ${MAX_BLOCKS} blocks`;
  return issue.message;
}

/** Problems inside one block that the schema cannot express. */
function blockProblems(input: unknown, block: Block, index: number, canvas: {width: number; height: number} | null): TemplateProblem[] {
  const out: TemplateProblem[] = [];
  const at = (code: TemplateProblemCode, field: string | null, message: string) =>
    out.push(problem(input, code, field === null ? ['blocks', index] : ['blocks', index, field], message));
  const checkText = (field: string, text: string) => {
    const {names, malformed} = scanPlaceholders(text);
    for(const name of names) {
      if(!isKnownPlaceholder(name)) at('TEMPLATE_PLACEHOLDER_UNKNOWN', field, `unknown placeholder {{${name}}}`);
    }
    if(malformed) at('TEMPLATE_PLACEHOLDER_MALFORMED', field, 'unbalanced {{ or }}');
  };
  if(block.type === 'text') {
    checkText('text', block.text);
    if(block.minSize !== undefined && block.minSize > block.size) at('TEMPLATE_MIN_SIZE_ABOVE_SIZE', 'minSize', `minSize ${block.minSize} is above size ${block.size}`);
  }
  if(block.type === 'signature') {
    checkText('name', block.name);
    checkText('title', block.title);
  }
  if(block.type === 'qr' && Math.min(block.width, block.height) < MIN_QR_SIZE) {
    at('TEMPLATE_QR_TOO_SMALL', null, `a QR code needs at least ${MIN_QR_SIZE} × ${MIN_QR_SIZE} to scan`);
  }
  if(canvas) {
    const t = BOUNDS_TOLERANCE;
    if(block.x < -t || block.y < -t || block.x + block.width > canvas.width + t || block.y + block.height > canvas.height + t) {
      at('TEMPLATE_BLOCK_OUT_OF_BOUNDS', null, `the block (${block.x}, ${block.y}, ${block.width} × ${block.height}) leaves the ` +
        `${Math.round(canvas.width * 100) / 100} × ${Math.round(canvas.height * 100) / 100} canvas`);
    }
  }
  return out;
}

/** The canvas when format and page/badge agree, after format problems are reported. */
function formatProblems(input: unknown, problems: TemplateProblem[]): {width: number; height: number} | null {
  if(!isRecord(input)) return null;
  const format = input.format;
  const hasPage = input.page !== undefined;
  const hasBadge = input.badge !== undefined;
  if(format === 'badge') {
    if(!hasBadge) problems.push(problem(input, 'TEMPLATE_FORMAT_MISMATCH', ['badge'], 'a badge template needs `badge` (its canvas)'));
    if(hasPage) problems.push(problem(input, 'TEMPLATE_FORMAT_MISMATCH', ['page'], 'a badge template has no `page`'));
  } else if(format === 'certificate' || format === 'diploma') {
    if(!hasPage) problems.push(problem(input, 'TEMPLATE_FORMAT_MISMATCH', ['page'], `a ${format} template needs \`page\` (size and orientation)`));
    if(hasBadge) problems.push(problem(input, 'TEMPLATE_FORMAT_MISMATCH', ['badge'], `a ${format} template has no \`badge\``));
  } else {
    return null;
  }
  const page = TemplateLayout.shape.page.safeParse(input.page);
  const badge = TemplateLayout.shape.badge.safeParse(input.badge);
  if(format === 'badge' ? !hasBadge || !badge.success : !hasPage || !page.success) return null;
  return canvasSize({format, page: page.data, badge: badge.data} as TemplateLayout);
}

/** Validates an untrusted layout: the parsed layout, or every problem, per block. */
export function validateTemplate(input: unknown): {ok: true; layout: TemplateLayout} | {ok: false; problems: TemplateProblem[]} {
  if(!isRecord(input)) {
    return {ok: false, problems: [{code: 'TEMPLATE_NOT_AN_OBJECT', path: [], message: 'a template layout is a JSON object'}]};
  }
  const problems: TemplateProblem[] = [];
  const parsed = TemplateLayout.safeParse(input);
  if(!parsed.success) {
    for(const issue of parsed.error.issues) {
      problems.push(problem(input, issueCode(issue), issue.path.map(p => typeof p === 'symbol' ? String(p) : p), issueMessage(issue)));
    }
  }
  const canvas = formatProblems(input, problems);

  // Semantic checks on every block that parses on its own, so a broken block does not hide the others' problems.
  if(Array.isArray(input.blocks)) {
    const seen = new Map<string, number>();
    input.blocks.slice(0, MAX_BLOCKS * 2).forEach((raw: unknown, index: number) => {
      const id = rawBlockId(input, index);
      if(id !== undefined) {
        const first = seen.get(id);
        if(first !== undefined) {
          problems.push(problem(input, 'TEMPLATE_BLOCK_DUPLICATE_ID', ['blocks', index, 'id'], `block id "${id}" is already used by block ${first}`));
        } else {
          seen.set(id, index);
        }
      }
      const block = Block.safeParse(raw);
      if(block.success) problems.push(...blockProblems(input, block.data, index, canvas));
    });
  }
  if(problems.length || !parsed.success) return {ok: false, problems};
  return {ok: true, layout: parsed.data};
}
