/** The demo issuer created on first start, so a new user has something to look at. */
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import type {Services} from './laurel.js';
import {SYSTEM} from './services/actor.js';

/** What the demo seed did. */
export interface DemoInfo {
  created: boolean;
  apiKey?: string;
  credentialUrl?: string;
  organizationSlug: string;
  /** Where the demo API key was saved, if it was (PGlite data dir only). */
  keyFile?: string;
}

const DEMO_SLUG = 'demo';

/** Creates "Laurel Demo Academy" with the starter templates, two achievements and a sample credential, once. */
export async function seedDemo(s: Services, dataDir: string | null): Promise<DemoInfo> {
  const existing = await s.organizations.find('slug', DEMO_SLUG);
  const keyFile = dataDir ? join(dataDir, 'demo-api-key.txt') : null;
  if(existing) {
    const apiKey = keyFile && existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : undefined;
    return {created: false, apiKey, organizationSlug: DEMO_SLUG, keyFile: apiKey ? keyFile! : undefined};
  }
  const {organization, apiKey} = await s.organizations.create({
    name: 'Laurel Demo Academy', slug: DEMO_SLUG, didMethod: 'web', url: 'https://example.org/laurel-demo', email: 'academy@example.org',
  }, SYSTEM);
  const org = (await s.organizations.find('id', organization.id))!;
  // The three starter templates, stored as the demo's own, so its credentials render and it has something to edit.
  const starters: Record<string, string> = {};
  for(const key of ['classic-certificate', 'modern-diploma', 'round-badge'] as const) {
    starters[key] = (await s.templates.create(org, {starter: key}, SYSTEM)).id;
  }
  const web = await s.achievements.create(org, {
    name: 'Web Accessibility Foundations',
    description: 'Can audit a web page against WCAG 2.2 AA and fix the most common barriers.',
    criteria: {narrative: 'Completed the 12-hour course and passed a practical audit of a live site with a score of 80% or more.'},
    achievementType: 'MicroCredential',
    alignment: [{targetName: 'Web accessibility', targetUrl: 'https://esco.ec.europa.eu/en/classification/skills', targetFramework: 'ESCO'}],
    tags: ['accessibility', 'web'],
    creditsAvailable: 1,
    validityMonths: 24,
    templates: {certificate: starters['classic-certificate'], badge: starters['round-badge']},
  }, SYSTEM);
  await s.achievements.create(org, {
    name: 'Certified Data Steward',
    description: 'Manages data quality, lineage and access for a business domain.',
    criteria: {narrative: 'Passed the 90-minute proctored exam and submitted a data stewardship plan.'},
    achievementType: 'Certificate',
    tags: ['data'],
    templates: {diploma: starters['modern-diploma'], badge: starters['round-badge']},
  }, SYSTEM);
  const issued = await s.credentials.issue(org, {achievementId: web.id, recipient: {name: 'Ada Lovelace', email: 'ada@example.org'}}, SYSTEM);
  if(keyFile) writeFileSync(keyFile, apiKey + '\n', {mode: 0o600});
  return {created: true, apiKey, credentialUrl: issued.body.url, organizationSlug: DEMO_SLUG, keyFile: keyFile ?? undefined};
}
