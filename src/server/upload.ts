/**
 * Receives a multipart upload: the `file` part is streamed to `uploads/<id>/source.<ext>` (temp name, then
 * rename) under a size cap; the other parts are the encode options, returned as strings. Anything over the
 * cap is refused with 413 and the partial file removed, so an upload can never fill the disk.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import { displayName, safeExtension, type JobFiles } from './job-files.js';

export interface ReceivedUpload {
  sourcePath: string;
  name: string;
  fields: Record<string, string>;
}

const tooLarge = (maxBytes: number) =>
  new HttpError(
    413,
    'too_large',
    `the upload is larger than this server accepts (${Math.floor(maxBytes / 1048576)} MiB; see --max-upload-mb)`,
  );

/** Refuses a request whose declared length is over the cap before a byte of its body is read. */
export function checkDeclaredLength(req: FastifyRequest, maxBytes: number): void {
  const declared = Number(req.headers['content-length']);
  // Allow some room for the multipart envelope and the option fields.
  if (Number.isFinite(declared) && declared > maxBytes + 256 * 1024) throw tooLarge(maxBytes);
}

export async function receiveUpload(req: FastifyRequest, files: JobFiles, id: string, maxBytes: number): Promise<ReceivedUpload> {
  if (!req.isMultipart())
    throw new HttpError(415, 'unsupported_media_type', 'send multipart/form-data with a `file` field, or JSON naming a `source`');
  const dir = await files.prepareUpload(id);
  const fields: Record<string, string> = {};
  let sourcePath: string | undefined;
  let name = 'upload';
  try {
    const parts = req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 30, fieldSize: 4096, parts: 32, fieldNameSize: 64 } });
    for await (const part of parts) {
      if (part.type === 'field') {
        if (typeof part.value !== 'string') throw new HttpError(400, 'bad_request', `field ${part.fieldname} must be text`);
        if (part.fieldname in fields) throw new HttpError(400, 'bad_request', `field ${part.fieldname} given twice`);
        fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new HttpError(400, 'bad_request', `unexpected file field "${part.fieldname}"; the video goes in "file"`);
      }
      const final = join(dir, `source.${safeExtension(part.filename)}`);
      const temp = `${final}.part`;
      // Stop at the cap at once (busboy would otherwise read and discard the rest of the body).
      part.file.once('limit', () => part.file.destroy(tooLarge(maxBytes)));
      await pipeline(part.file, createWriteStream(temp, { flags: 'wx' }));
      if (part.file.truncated) throw tooLarge(maxBytes);
      await rename(temp, final);
      sourcePath = final;
      name = displayName(part.filename);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    throw err;
  }
  if (!sourcePath) {
    await rm(dir, { recursive: true, force: true });
    throw new HttpError(400, 'bad_request', 'no `file` field in the upload');
  }
  await files.writeMeta(id, { name });
  return { sourcePath, name, fields };
}
