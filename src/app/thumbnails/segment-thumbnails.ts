/**
 * A segment's thumbnails in its encode: where its ffmpeg writes them (the attempt's scratch files, named after
 * its output key), and their storing at the job's thumbnail keys once the encode is good, before the task is
 * done, so that a resumed or re-run job finds them (an attempt run again writes the same files at the same keys).
 */
import { basename, join } from 'node:path/posix';
import { SegmentCheckError } from '../../core/errors.js';
import { displaySize } from '../../core/ladder.js';
import { posterKey, posterWidth, thumbnailKey, thumbnailName, type ThumbnailOutputs } from '../../core/thumbnails.js';
import type { TaskEncodeContext } from '../outputs/output-kind.js';
import { describeTask } from '../outputs/describe-task.js';

type Context = Pick<TaskEncodeContext, 'job' | 'task' | 'scratch'>;

/** The attempt's scratch file of its j-th distinct thumbnail frame, or the image2 pattern (`%05d`) of them all. */
function thumbnailFile(c: Context, j: number | '%05d'): string {
  return join(c.scratch, `${basename(c.task.outputKey)}.thumb-${j === '%05d' ? '%05d.jpg' : thumbnailName(j)}`);
}

const posterFile = (c: Context) => join(c.scratch, `${basename(c.task.outputKey)}.poster.jpg`);

/** The extra outputs of this task's encode, where the job asks for thumbnails and the segment holds some. */
export function thumbnailOutputsOf(c: Context): ThumbnailOutputs | undefined {
  const spec = c.job.options.thumbnails;
  const share = c.task.thumbnails;
  if (!spec || !share || c.task.kind !== 'video') return undefined;
  return {
    thumbnails: share,
    width: spec.width,
    posterWidth: posterWidth(c.job.options.profile.width ?? displaySize(c.job.analysis.video).width),
    pattern: thumbnailFile(c, '%05d'),
    posterPath: posterFile(c),
  };
}

/** A copy of a scratch file (storing moves it), or the file itself where the encode did not write it. */
async function copyOf(c: Context & Pick<TaskEncodeContext, 'deps'>, file: string, index: number): Promise<string> {
  const bytes = await c.deps.blobs.readLocal(file).catch(() => undefined);
  return bytes ? c.deps.blobs.writeScratchFile(c.job.id, `${basename(file)}.${index}`, bytes) : file;
}

/** Stores what the encode wrote; a thumbnail it did not write fails the attempt (another may write it). */
export async function storeThumbnails(c: Context & Pick<TaskEncodeContext, 'deps'>): Promise<void> {
  const share = thumbnailOutputsOf(c)?.thumbnails;
  if (!share) return;
  const put = async (key: string, file: string, what: string) => {
    try {
      await c.deps.blobs.putFile(key, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new SegmentCheckError(`${describeTask(c.task)}: its encode wrote no ${what}`, c.task.key);
    }
  };
  const frames = share.frames;
  for (let k = 0, j = -1; k < frames.length; k++) {
    if (k === 0 || frames[k] !== frames[k - 1]) j++;
    const index = share.first + k;
    const file = thumbnailFile(c, j);
    // The same frame as the next thumbnail (a VFR gap): written once by the encode, stored under both numbers.
    const again = frames[k + 1] === frames[k];
    const stored = again ? await copyOf(c, file, index) : file;
    await put(thumbnailKey(c.job.id, index), stored, `thumbnail ${index}`);
  }
  if (share.poster !== undefined) await put(posterKey(c.job.id), posterFile(c), 'poster');
}
