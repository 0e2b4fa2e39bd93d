/** Where an ffmpeg or ffprobe came from, in words (`doctor`, the encoder check): "FFMPEG_PATH", "PATH", … */
import type { ToolInfo } from '../ports/media-tool.js';

export function toolOrigin(t: Pick<ToolInfo, 'tool' | 'origin'>): string {
  const npm = t.tool === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
  return t.origin === 'env' ? t.tool.toUpperCase() + '_PATH' : t.origin === 'npm' ? `the npm package ${npm}` : 'PATH';
}
