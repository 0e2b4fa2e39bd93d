/**
 * The finish of a job's thumbnails: the JPEGs its segments' encodes stored are fetched into scratch, joined into
 * sprite sheets (`tile`: only the small JPEGs are decoded, never the source), mapped by a WebVTT file, and put
 * beside the output with the poster (core/thumbnails.ts thumbnailsLocation), through the blob store as the
 * output is. A thumbnail that cannot be had leaves the job without thumbnails, told in its events: the output
 * itself is good.
 */
import { join } from 'node:path/posix';
import { ffmpegErrorLine, oneLine } from '../../core/errors.js';
import {
  buildImageSizeArgs,
  buildSpriteArgs,
  spriteSheets,
  thumbnailCues,
  thumbnailsLocation,
  thumbnailsVtt,
} from '../../core/thumbnail-sheets.js';
import { outputDuration, posterKey, thumbnailKey, thumbnailName, thumbnailTimes } from '../../core/thumbnails.js';
import type { AnalyzedJob, ThumbnailsResult } from '../../core/types.js';
import type { AppDeps } from '../deps.js';
import { emit } from '../deps.js';
import { runFfmpeg } from '../ffmpeg-run.js';

/** The size of the JPEGs the encodes wrote (their height follows the source's display aspect ratio). */
async function imageSize(deps: AppDeps, path: string): Promise<{ width: number; height: number }> {
  const r = await deps.media.run('ffprobe', buildImageSizeArgs(path));
  const [width, height] = r.stdout.trim().split(',').map(Number);
  if (r.exitCode !== 0 || !width || !height) throw new Error(`thumbnail 0 cannot be read: ${ffmpegErrorLine(r.stderrTail)}`);
  return { width, height };
}

async function publish(deps: AppDeps, job: AnalyzedJob, ladder: boolean, everySeconds: number): Promise<ThumbnailsResult> {
  const duration = outputDuration(job.analysis.video);
  const count = thumbnailTimes(duration, everySeconds).length;
  const tasks = (await deps.ledger.listTasks(job.id)).filter((t) => t.kind === 'video');
  const planned = tasks.reduce((n, t) => n + (t.thumbnails?.frames.length ?? 0), 0);
  if (planned !== count) throw new Error(`the segments were planned with ${planned} thumbnails, not ${count}`);
  const scratch = await deps.blobs.scratchDir(job.id);
  const local = (k: number) => join(scratch, `sheet-in-${thumbnailName(k)}`);
  const fetched: string[] = [];
  const where = (file: string) => thumbnailsLocation(job.output, ladder, file);
  try {
    for (let k = 0; k < count; k++) {
      await deps.blobs.getFile(thumbnailKey(job.id, k), local(k)).catch((err: unknown) => {
        throw new Error(`thumbnail ${k} is not in the store (${oneLine(err)})`);
      });
      fetched.push(local(k));
    }
    const { width, height } = await imageSize(deps, local(0));
    const sprites: string[] = [];
    for (const sheet of spriteSheets(count)) {
      const out = join(scratch, sheet.file);
      await runFfmpeg(deps, `sprite sheet ${sheet.file}`, buildSpriteArgs(sheet, join(scratch, 'sheet-in-%05d.jpg'), out));
      await deps.blobs.commitOutput(out, where(sheet.file));
      sprites.push(where(sheet.file));
    }
    const vtt = await deps.blobs.writeScratchFile(
      job.id,
      'thumbnails.vtt',
      thumbnailsVtt(thumbnailCues(duration, everySeconds, width, height)),
    );
    await deps.blobs.commitOutput(vtt, where('thumbnails.vtt'));
    const poster = join(scratch, 'poster.jpg');
    await deps.blobs.getFile(posterKey(job.id), poster).catch((err: unknown) => {
      throw new Error(`the poster is not in the store (${oneLine(err)})`);
    });
    await deps.blobs.commitOutput(poster, where('poster.jpg'));
    return { count, everySeconds, width, height, poster: where('poster.jpg'), sprites, vtt: where('thumbnails.vtt') };
  } finally {
    await Promise.all(fetched.map((f) => deps.blobs.discardLocal(f)));
  }
}

/**
 * Publishes the thumbnails of a job that asked for them (`--thumbnails`), beside its committed output; undefined
 * where it did not, or where they could not be made (a `job.notice` says why).
 */
export async function publishThumbnails(deps: AppDeps, job: AnalyzedJob, ladder: boolean): Promise<ThumbnailsResult | undefined> {
  const spec = job.options.thumbnails;
  if (!spec) return undefined;
  try {
    const result = await publish(deps, job, ladder, spec.everySeconds);
    await emit(
      deps,
      job.id,
      'job.note',
      `${result.count} thumbnails, ${result.sprites.length} sprite sheet(s) and a poster beside the output`,
    );
    return result;
  } catch (err) {
    await emit(deps, job.id, 'job.notice', `no thumbnails: ${oneLine(err)}`);
    return undefined;
  }
}
