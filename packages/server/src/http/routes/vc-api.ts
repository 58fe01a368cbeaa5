/** VC-API (W3C CCG): POST /credentials/issue, POST /credentials/verify and POST /presentations/verify, as the W3C test suites call them. */
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {ZodError} from 'zod';
import type {Services} from '../../laurel.js';
import {problem, sendProblem, zodProblems} from '../problem.js';
import {VcApiIssue, VcApiVerify, VcApiVerifyPresentation, VerifyRequest} from '../schemas.js';

/** Registers the VC-API routes. */
export function registerVcApiRoutes(app: FastifyInstance, s: Services, deps: {authenticate: (r: FastifyRequest) => Promise<void>}): void {
  app.post('/credentials/issue', {onRequest: deps.authenticate}, async (request, reply) => {
    const {credential, options} = VcApiIssue.parse(request.body);
    const verifiableCredential = await s.callerSigner.sign(request.org, credential, {cryptosuite: options?.cryptosuite});
    return reply.code(201).send({verifiableCredential});
  });

  // Laurel's own verify endpoint: public, and 200 with the result for any well-formed request.
  app.post('/api/v1/verify', async (request, reply) => {
    const parsed = VerifyRequest.safeParse(request.body);
    if(!parsed.success) {
      return sendProblem(reply, problem(400, 'VALIDATION_FAILED', 'Send exactly one of {"credential": {…}}, {"jwt": "…"} or {"url": "https://…"}.',
        {instance: request.url, errors: zodProblems(parsed.error as ZodError)}));
    }
    const body = parsed.data;
    if('url' in body) return s.verification.verifyUrl(body.url);
    if('jwt' in body) return s.verification.verifyJwt(body.jwt);
    return {...await s.verification.verify(body.credential), input: {kind: 'credential'}};
  });

  // 200 when verified; 422 problem+json carrying the same result when not; 400 when malformed (DESIGN.md §3).
  app.post('/credentials/verify', async (request, reply) => {
    const parsed = VcApiVerify.safeParse(request.body);
    if(!parsed.success) {
      return sendProblem(reply, problem(400, 'VALIDATION_FAILED', 'Send {"verifiableCredential": {…}} as JSON.',
        {instance: request.url, errors: zodProblems(parsed.error as ZodError)}));
    }
    const result = await s.verification.verify(parsed.data.verifiableCredential);
    if(result.verified) return reply.code(200).send(result);
    const first = result.errors[0];
    return sendProblem(reply, problem(422, 'NOT_VERIFIED', first ? `${first.code}: ${first.message}` : 'The credential could not be verified.',
      {instance: request.url, ...result}));
  });

  // Same contract as /credentials/verify: 200 when verified, 422 problem+json with the same result when not, 400 when malformed.
  app.post('/presentations/verify', async (request, reply) => {
    const parsed = VcApiVerifyPresentation.safeParse(request.body);
    if(!parsed.success) {
      return sendProblem(reply, problem(400, 'VALIDATION_FAILED', 'Send {"verifiablePresentation": {…}, "options": {"challenge"?: "…", "domain"?: "…"}} as JSON.',
        {instance: request.url, errors: zodProblems(parsed.error as ZodError)}));
    }
    const result = await s.verification.verifyPresentation(parsed.data.verifiablePresentation, parsed.data.options ?? {});
    if(result.verified) return reply.code(200).send(result);
    const first = result.errors[0];
    return sendProblem(reply, problem(422, 'NOT_VERIFIED', first ? `${first.code}: ${first.message}` : 'The presentation could not be verified.',
      {instance: request.url, ...result}));
  });
}
