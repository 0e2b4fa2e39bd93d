/**
 * Where a job's files live: the intermediate segment and audio files (by key), and the final output.
 * Keys are relative, `/`-separated (`<jobId>/v00003.mp4`). Implementations: `LocalBlobStore` (a folder on
 * local disk or an EFS mount), `S3BlobStore`.
 */
export interface StoredBlob {
  sizeBytes: number;
  /** sha256, hex. */
  checksum: string;
}

export interface BlobStore {
  /** A path or URL ffmpeg can read the blob from (a local path; a presigned URL for S3). */
  readLocation(key: string): Promise<string>;
  /**
   * Stores the finished file at `localPath` under `key`, atomically (temp name + rename, or one upload),
   * and returns its size and checksum. The local file is moved or removed.
   */
  putFile(key: string, localPath: string): Promise<StoredBlob>;
  /**
   * Moves a stored blob to another key, replacing what is there (a cluster worker's attempt file to its task's
   * key once the coordinator accepted it): a rename in a folder, a copy and a delete on S3. Returns the size and
   * sha256 of the bytes now at `toKey`, read back from the store, never the checksum their writer recorded: the
   * coordinator holds it against the one the worker computed before its upload.
   */
  moveBlob(fromKey: string, toKey: string): Promise<StoredBlob>;
  /**
   * Size and checksum of a stored blob, or undefined if absent. The checksum may be the one recorded when it was
   * stored (S3 object metadata); with `verify` it is computed from the stored bytes.
   */
  stat(key: string, opts?: { verify?: boolean }): Promise<StoredBlob | undefined>;
  /** Copies a blob to a local path (for tools that need a local file). */
  getFile(key: string, localPath: string): Promise<void>;
  /** Deletes every blob under a prefix (`<jobId>/`). */
  deletePrefix(prefix: string): Promise<void>;
  /** A scratch folder on local disk for work in progress (ffmpeg writes here, then `putFile`). */
  scratchDir(jobId: string): Promise<string>;
  /**
   * A local path the merge writes the final output to before verification. For a local output it sits
   * beside the output (same file system, so the commit is an atomic rename); for s3:// it is in scratch.
   */
  outputTempPath(jobId: string, output: string): Promise<string>;
  /** Moves the verified temp output to its final location (rename, or upload then delete the temp). */
  commitOutput(tempPath: string, output: string): Promise<StoredBlob>;
  /** Removes a local temp file (a merged output that failed verification); no error if it is gone. */
  discardLocal(path: string): Promise<void>;
  /**
   * Free bytes and the device id of the file system holding a local folder the job writes (its scratch
   * folder, the folder of a local output); undefined where that cannot be told.
   */
  diskSpace?(folder: string): Promise<{ freeBytes: number; device: number } | undefined>;
  /**
   * True where a file stored from the scratch folder leaves it (uploaded, as to S3): a job's segments do not
   * pile up on this machine's disk, so only the merged output is held against its free space.
   */
  readonly scratchIsTransient?: boolean;
  /** Writes a file into the job's scratch folder (text or bytes) and returns its local path. */
  writeScratchFile(jobId: string, name: string, content: string | Uint8Array): Promise<string>;
  /** Reads a local file this store's scratch or temp paths named (an ffmpeg output in scratch, a fetched blob). */
  readLocal(path: string): Promise<Buffer>;
}
