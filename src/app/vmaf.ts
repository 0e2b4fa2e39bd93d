/**
 * Whether the ffmpeg at hand can score VMAF, and how (core/segment-score.ts VmafFlavour): a libvmaf 2.x build
 * (ffmpeg 5+; `model` option, models built in), a 1.x build (the npm-shipped 4.x ffmpeg; `model_path` only)
 * given a model file, or none (Debian's ffmpeg 5.1). Asked once per process and ffmpeg; a job that asks for
 * VMAF where none can run is refused before it exists (encoder-check.ts), in one line with the way out.
 */
import { ToolMissingError, UsageError, ffmpegErrorLine } from '../core/errors.js';
import { vmafCheckArgs, type VmafFlavour } from '../core/segment-score.js';
import type { QualityTarget } from '../core/types.js';
import type { MediaTool } from '../ports/media-tool.js';
import { toolOrigin } from './tool-words.js';

const flavours = new Map<string, Promise<1 | 2 | undefined>>();

/** Which libvmaf API this ffmpeg's filter has, or undefined where it has none. */
async function libvmafApi(media: MediaTool, ffmpegPath: string): Promise<1 | 2 | undefined> {
  let known = flavours.get(ffmpegPath);
  if (!known) {
    known = media.run('ffmpeg', ['-hide_banner', '-h', 'filter=libvmaf'], { timeoutMs: 30_000 }).then((r) => {
      const help = `${r.stdout}\n${r.stderrTail}`;
      if (r.exitCode !== 0 || !/Filter libvmaf/.test(help)) return undefined;
      return /^\s+model\s+</m.test(help) ? 2 : 1;
    });
    flavours.set(ffmpegPath, known);
  }
  return known;
}

/**
 * The VMAF this job's scoring runs with; throws a one-line ToolMissingError where the ffmpeg cannot (no
 * libvmaf, or a 1.x libvmaf with no model file), naming the metrics that always work.
 */
export async function vmafFlavour(media: MediaTool, target: QualityTarget): Promise<VmafFlavour> {
  const ffmpeg = (await media.info()).find((t) => t.tool === 'ffmpeg');
  const path = ffmpeg?.path ?? 'ffmpeg';
  const which = ffmpeg ? `ffmpeg ${ffmpeg.version} (${ffmpeg.path}, from ${toolOrigin(ffmpeg)})` : 'ffmpeg';
  const api = await libvmafApi(media, path);
  const instead = `--target-quality ssim:0.985 or psnr:42, which work with any ffmpeg`;
  if (api === undefined) {
    throw new ToolMissingError(
      `${which} has no libvmaf, so --target-quality vmaf:${target.value} cannot be scored; set FFMPEG_PATH to an ffmpeg built with libvmaf (the npm package @ffmpeg-installer/ffmpeg's, with --vmaf-model), or use ${instead}`,
    );
  }
  if (api === 1 && !target.vmafModel) {
    throw new UsageError(
      `${which} has libvmaf 1.x, which reads its model from a file: pass --vmaf-model PATH (vmaf_v0.6.1.pkl with its .model beside it) or set SHARDCAST_VMAF_MODEL; or use ${instead}`,
    );
  }
  const flavour: VmafFlavour =
    api === 1 ? { api: 1, modelPath: target.vmafModel! } : { api: 2, ...(target.vmafModel ? { modelPath: target.vmafModel } : {}) };
  return flavour;
}

/** vmafFlavour, then one tiny scoring run: a model file that is not there is refused here, not per segment. */
export async function checkVmaf(media: MediaTool, target: QualityTarget): Promise<void> {
  const flavour = await vmafFlavour(media, target);
  const r = await media.run('ffmpeg', vmafCheckArgs(flavour), { timeoutMs: 60_000 });
  if (r.exitCode === 0) return;
  const why = ffmpegErrorLine(r.stderrTail).replace(/\.$/, '') || `exit ${r.exitCode ?? r.signal}`;
  throw new ToolMissingError(
    `ffmpeg cannot score VMAF with ${flavour.modelPath ? `the model ${flavour.modelPath}` : 'its built-in model'} (${why}); pass --vmaf-model PATH to a model this libvmaf reads, or use --target-quality ssim:0.985 or psnr:42`,
  );
}
