/**
 * POST /api/jobs: a multipart upload (field `file` plus option fields) or JSON naming a source under one of
 * the server's roots. Options are validated by schema, then submitted to the Backend as the CLI's flags are,
 * so the API and the CLI build the same TranscodeOptions. Answers 201 `{ id }` once the job is in the ledger;
 * it runs in the background.
 */
import { rm } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newJobId } from '../runtime/process-identity.js';
import { findTemplate, type TemplateCatalog } from '../runtime/templates.js';
import { HttpError } from './http-errors.js';
import { resolveUnderRoots } from './job-files.js';
import { createJobJsonBody, createJobMultipartBody, errorResponses, errorSchema, jobOptionsSchema, tokenQuery } from './schemas.js';
import type { ServerContext } from './server-context.js';
import { checkDeclaredLength, receiveUpload } from './upload.js';

type JobOptionsInput = {
  container?: 'mp4' | 'mkv' | 'webm' | 'mov' | 'hls';
  verify?: boolean;
  qualityReport?: boolean;
  dash?: boolean;
  publishEarly?: boolean;
  acceptCutCost?: boolean;
  deinterlace?: boolean;
} & Record<string, unknown>;

/** Validates option fields (multipart strings are coerced by the schema) into the Backend's option strings. */
function normalizeOptions(
  templates: TemplateCatalog,
  req: FastifyRequest,
  raw: Record<string, unknown>,
  output: (container: string) => string,
): { options: Record<string, unknown>; output: string } {
  const input: JobOptionsInput = { ...raw };
  const validate = req.compileValidationSchema(jobOptionsSchema);
  if (!validate(input)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath
      ? e.instancePath.slice(1)
      : (e?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    throw new HttpError(400, 'bad_request', `option ${where ?? ''} ${e?.message ?? 'is invalid'}`.replace(/\s+/g, ' '));
  }
  // A template names what it makes; a container given with it must agree (the Backend checks).
  const template = typeof input.template === 'string' ? findTemplate(templates, input.template) : undefined;
  const outputPath = output(input.container ?? template?.output ?? 'mp4');
  const flags: Record<string, unknown> = {
    ...(input.verify !== undefined ? { verify: input.verify } : {}),
    ...(input.qualityReport !== undefined ? { qualityReport: input.qualityReport } : {}),
    // Given as false, a switch turns a template's off; left out, the template (or the default, off) holds.
    ...(input.dash !== undefined ? { dash: input.dash } : {}),
    ...(input.publishEarly !== undefined ? { publishEarly: input.publishEarly } : {}),
    ...(input.acceptCutCost !== undefined ? { acceptCutCost: input.acceptCutCost } : {}),
    ...(input.deinterlace !== undefined ? { deinterlace: input.deinterlace } : {}),
  };
  const own = new Set(['container', 'verify', 'qualityReport', 'dash', 'publishEarly', 'acceptCutCost', 'deinterlace']);
  for (const [k, v] of Object.entries(input)) {
    // A list of strings (notify's URLs) goes as a repeated flag does.
    if (!own.has(k) && v !== undefined) flags[k] = typeof v === 'string' || Array.isArray(v) ? v : JSON.stringify(v);
  }
  return { options: flags, output: outputPath };
}

export function registerCreateRoute(app: FastifyInstance, ctx: ServerContext): void {
  const { files, config } = ctx;
  app.post(
    '/api/jobs',
    {
      schema: {
        summary: 'Start a job: upload a video (multipart) or name a source under a server root (JSON)',
        tags: ['jobs'],
        consumes: ['multipart/form-data', 'application/json'],
        querystring: tokenQuery,
        // Validated by fastify for JSON; a multipart body is streamed, then its fields are validated by hand.
        body: { content: { 'application/json': { schema: createJobJsonBody } } },
        response: {
          201: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
          413: errorSchema,
          415: errorSchema,
          ...errorResponses,
        },
      },
      config: {
        // Documents the multipart variant in the OpenAPI file (it is not a fastify-validated body).
        swaggerTransform: ({ schema, url }) => ({
          url,
          schema: {
            ...schema,
            body: {
              content: { 'application/json': { schema: createJobJsonBody }, 'multipart/form-data': { schema: createJobMultipartBody } },
            },
          },
        }),
      },
      preValidation: async (req) => {
        if (req.isMultipart()) checkDeclaredLength(req, config.maxUploadBytes);
      },
    },
    async (req, reply) => {
      const id = newJobId();
      if (req.isMultipart()) {
        const upload = await receiveUpload(req, files, id, config.maxUploadBytes);
        try {
          const { options, output } = normalizeOptions(config.templates, req, upload.fields, (c) =>
            files.outputPath(id, c as 'mp4' | 'hls'),
          );
          await files.prepareOutput(id);
          await ctx.runner.submit({ id, input: upload.sourcePath, output, options, overwrite: false });
        } catch (err) {
          await files.remove(id);
          throw err;
        }
        return reply.code(201).send({ id });
      }
      const body = req.body as { source: string } & Record<string, unknown>;
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '') || !body || typeof body !== 'object') {
        throw new HttpError(415, 'unsupported_media_type', 'send multipart/form-data with a `file` field, or JSON naming a `source`');
      }
      const { source, ...raw } = body;
      const real = resolveUnderRoots(source, config.roots);
      const { options, output } = normalizeOptions(config.templates, req, raw, (c) => files.outputPath(id, c as 'mp4' | 'hls'));
      await files.prepareOutput(id);
      try {
        await ctx.runner.submit({ id, input: real, output, options, overwrite: false });
      } catch (err) {
        await rm(files.outputDir(id), { recursive: true, force: true });
        throw err;
      }
      return reply.code(201).send({ id });
    },
  );
}
