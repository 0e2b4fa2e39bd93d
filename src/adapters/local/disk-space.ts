/** Free space and device of the file system holding a local folder (statfs, stat), for the blob stores. */
import { stat, statfs } from 'node:fs/promises';

export async function localDiskSpace(path: string): Promise<{ freeBytes: number; device: number } | undefined> {
  try {
    const [fs, st] = await Promise.all([statfs(path), stat(path)]);
    return { freeBytes: fs.bavail * fs.bsize, device: st.dev };
  } catch {
    return undefined;
  }
}
