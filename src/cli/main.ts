/**
 * The `shardcast` command line. Thin: commander parses, a command handler runs one use-case, errors map to
 * exit codes (0 done, 1 job failed, 2 bad usage or unusable input, 130 interrupted) and one-line messages.
 */
import { Command, CommanderError, Option } from 'commander';
import { CancelledError, oneLine, ShardcastError } from '../core/errors.js';
import {
  doctorCommand,
  gcCommand,
  jobsCommand,
  qualityCommand,
  resumeCommand,
  retryCommand,
  statusCommand,
  transcodeCommand,
} from './commands.js';
import { registerAwsCommands } from './aws-commands.js';
import { registerNotifyCommand } from './notify-command.js';
import { givenFlags, templatesCommand } from './template-commands.js';
import { asInvoked, invocation, pathHint } from './invocation.js';
import { exitCodeFor, stoppedBy } from './signals.js';

const backendOption = () =>
  new Option(
    '--backend <name>',
    'local (default), aws-emulated (the AWS pipeline on emulators here), aws (the deployed stack) or cluster (shardcast workers over Redis)',
  ).choices(['local', 'aws-emulated', 'aws', 'cluster']);

/** Where a cluster's queue and store are (`--backend cluster`; `shardcast worker`). */
function clusterOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'cluster: the Redis of the queue, e.g. redis://10.0.0.5:6379 (env SHARDCAST_REDIS_URL)')
    .option('--store <location>', 'cluster: a folder every node mounts at the same path, or s3://bucket/prefix (env SHARDCAST_STORE)')
    .option('--s3-endpoint <url>', 'cluster: the S3-compatible endpoint of an s3:// store, path-style (env SHARDCAST_S3_ENDPOINT)')
    .option(
      '--redis-wait-seconds <s>',
      'cluster: how long a running job waits for a Redis that stopped answering before it stops, resumable (default 50: gone within 60 s; env SHARDCAST_REDIS_WAIT_SECONDS)',
    );
}

function buildProgram(): Command {
  const hint = pathHint();
  const program = new Command(invocation().name)
    .description('Segment-parallel video transcoding: plan, encode segments in parallel, merge, verify.')
    .version('0.1.0')
    .option('--state-dir <dir>', 'where the ledger and job files live (env SHARDCAST_HOME, default ~/.shardcast)')
    .option('--json', 'print one JSON document')
    .option('--debug', 'print stack traces on errors')
    .option('--config <path>', 'templates: a shardcast.config.{json,yaml} file or a folder of template files (env SHARDCAST_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  if (hint) program.addHelpText('after', `\n${hint}`);

  const g = (cmd: Command) => cmd.optsWithGlobals();

  const transcode = program
    .command('transcode')
    .description(
      'transcode <input> to <output>; the container comes from the output extension (mp4, mkv, webm, mov); an output ending in .m3u8 is an HLS ladder in that folder',
    )
    .argument('<input>', 'source video file')
    .argument('<output>', 'output file (.mp4, .mkv, .webm, .mov), or DIR/master.m3u8 for an HLS/DASH ladder')
    .addOption(
      new Option('--video-codec <codec>', 'h264 | hevc | vp9 | av1 (default h264; vp9 for .webm); also h265, x265, x264, avc, libsvtav1'),
    )
    .option('--crf <n>', 'constant rate factor (default 23 for h264)')
    .option('--preset <name>', 'encoder speed preset (x264 names; default medium)')
    .option('--height <px>', 'scale to this height, keeping the aspect ratio')
    .option('--width <px>', 'scale to this width, keeping the aspect ratio')
    .option('--max-height <px>', 'scale down to at most this height, keeping the aspect ratio (a shorter source keeps its size)')
    .option('--audio-codec <codec>', 'aac | opus | copy | none (default aac; opus for .webm)')
    .option('--audio-bitrate <kbps>', 'audio bitrate in kb/s (default 128)')
    .option('--pix-fmt <name>', "output pixel format, e.g. yuv420p (default: the source's bit depth and chroma where the codec holds them)")
    .option('--bit-depth <n>', "output bit depth, 8 or 10 (12 for hevc, vp9), keeping the source's chroma")
    .option(
      '--deinterlace',
      'make an interlaced source progressive (bwdif, one picture per frame); default: frames encoded as they are, like plain ffmpeg',
    )
    .option(
      '--target-quality <metric:value>',
      'a quality every segment reaches with its own CRF, e.g. vmaf:93, ssim:0.985, psnr:42 (probes, then an encode scored against the source)',
    )
    .option(
      '--quality-band <d>',
      'with --target-quality: how far a segment may land from the target (default 1 VMAF, 0.005 SSIM, 0.5 dB PSNR)',
    )
    .option(
      '--min-quality <value[:pool]>',
      'with --target-quality: a floor for each segment, pooled as mean, min or pN (default p5), e.g. 85:p5',
    )
    .option('--min-crf <n>', 'with --target-quality: the lowest CRF the search may use (default 10)')
    .option('--max-crf <n>', 'with --target-quality: the highest CRF the search may use (default 40 for h264/hevc, 56 for vp9/av1)')
    .option('--vmaf-model <path>', 'with vmaf: the model file a libvmaf 1.x ffmpeg reads (default SHARDCAST_VMAF_MODEL)')
    .option('--segment-seconds <s>', 'target segment length (default: from duration and workers)')
    .option('--accept-cut-cost', 'keep --segment-seconds even where its cuts would cost more than 5% of the video bytes')
    .option(
      '--ladder <heights>',
      "ladder rungs, e.g. 1080,720:3000k,480 (height[:bitrate cap]; default: the source's height and the standard rungs below it)",
    )
    .option('--dash', 'with a ladder: also write manifest.mpd over the same segments')
    .option('--segment-duration <s>', 'with a ladder: media segment duration in seconds (default 4)')
    .option('--workers <n>', 'parallel encodes (default: number of cores)')
    .option('--max-attempts <n>', 'attempts per segment before the job fails (default 3)')
    .option('--no-verify', 'skip verification of the output')
    .option('--quality-report', 'also measure PSNR/SSIM against the source, whole and at every seam (one more decode of both)')
    .option(
      '--template <name>',
      'take the output settings from a template (`shardcast templates` lists them); flags given here override it',
    )
    .option(
      '--notify <url>',
      "POST the job's start, end and failure to this URL, signed with SHARDCAST_WEBHOOK_SECRET (repeat for more)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      '--notify-secret-env <name>',
      'with --notify: the environment variable holding the signing secret (default SHARDCAST_WEBHOOK_SECRET)',
    )
    .option('--thumbnails <s>', 'also make a poster, a thumbnail every <s> seconds and a sprite sheet with a WebVTT map, beside the output')
    .option('--thumbnail-width <px>', 'with --thumbnails: their width (default 160)')
    .option('--publish-early', 'ladders: publish the playlists as the first segments are done, so a player can start before the job ends')
    .option('--no-progress', 'no progress output')
    .option('-y, --overwrite', 'replace the output if it exists')
    .addOption(backendOption());
  clusterOptions(transcode).action(async (input: string, output: string, _o, cmd: Command) =>
    transcodeCommand(input, output, givenFlags(cmd)),
  );
  clusterOptions(
    program
      .command('watch')
      .description('run a job per new file of <dir> once it stops growing, with a template; each file once, across restarts')
      .argument('<dir>', 'the folder to watch (not its subfolders)')
      .option('--template <name>', 'the template every job is made with (`shardcast templates` lists them)')
      .option('--out <dir>', 'where the outputs go: DIR/NAME.EXT, or DIR/NAME/master.m3u8 for a ladder template')
      .option('--settle-seconds <s>', 'how long a file must stop growing before its job starts (default 5)')
      .option('--poll-seconds <s>', 'how often the folder is listed (default 2)')
      .option('--workers <n>', 'parallel encodes of each job (default: number of cores)')
      .option('--max-attempts <n>', 'attempts per segment before a job fails (default 3)')
      .option(
        '--notify <url>',
        "POST each job's start, end and failure to this URL (repeat for more)",
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      )
      .option('--notify-secret-env <name>', 'with --notify: the environment variable holding the signing secret')
      .addOption(new Option('--backend <name>', 'where the jobs run: local (default) or cluster').choices(['local', 'cluster'])),
  ).action(async (dir: string, _o, cmd: Command) => (await import('./watch-command.js')).watchCommand(dir, g(cmd)));
  program
    .command('templates')
    .description('list the templates --template may name (built-in and from shardcast.config.*), with what each makes')
    .action(async (_o, cmd: Command) => templatesCommand(g(cmd)));

  registerNotifyCommand(program, backendOption);
  clusterOptions(
    program.command('status').description('show a job and its segments').argument('<jobId>').addOption(backendOption()),
  ).action(async (id: string, _o, cmd: Command) => statusCommand(id, g(cmd)));
  program
    .command('jobs')
    .description('list jobs, newest first')
    .addOption(backendOption())
    .action(async (_o, cmd: Command) => jobsCommand(g(cmd)));
  clusterOptions(
    program
      .command('resume')
      .description('continue a stopped or crashed job: encodes only the segments not done')
      .argument('<jobId>')
      .option('--force', 'take over a job whose runner this host cannot check (another host) while its lease is fresh')
      .option('--no-progress', 'no progress output')
      .addOption(
        new Option('--backend <name>', 'local (default) or cluster (a cluster job continues on its workers)').choices(['local', 'cluster']),
      ),
  ).action(async (id: string, _o, cmd: Command) => resumeCommand(id, g(cmd)));
  clusterOptions(
    program
      .command('retry')
      .description('re-run only the failed segments of a failed job')
      .argument('<jobId>')
      .option('--no-progress', 'no progress output')
      .addOption(backendOption()),
  ).action(async (id: string, _o, cmd: Command) => retryCommand(id, g(cmd)));
  clusterOptions(
    program
      .command('quality')
      .description("measure a done job's output against its source: PSNR/SSIM, whole and at every seam")
      .argument('<jobId>')
      .addOption(new Option('--backend <name>', 'where the job ran: local (default) or cluster').choices(['local', 'cluster'])),
  ).action(async (id: string, _o, cmd: Command) => qualityCommand(id, g(cmd)));
  clusterOptions(
    program
      .command('gc')
      .description("remove jobs' files and records: old ones, failed ones, or those refused at input (the criteria given all apply)")
      .option('--older-than <age>', 'jobs not updated for this long, e.g. 7d, 12h')
      .option('--failed', 'failed jobs, whatever their age (with --older-than: the failed ones that old)')
      .option('--refused', 'jobs refused at input (failed before any segment was planned), whatever their age')
      .addOption(new Option('--backend <name>', 'local (default) or cluster').choices(['local', 'cluster'])),
  ).action(async (_o, cmd: Command) => gcCommand(g(cmd)));
  clusterOptions(
    program
      .command('doctor')
      .description(
        'show which ffmpeg/ffprobe are used and which encoders exist; with --backend cluster, check Redis, the store and every worker',
      )
      .addOption(new Option('--backend <name>', 'local (default) or cluster').choices(['local', 'cluster'])),
  ).action(async (_o, cmd: Command) => doctorCommand(g(cmd)));
  clusterOptions(
    program
      .command('worker')
      .description('take encode tasks of cluster jobs from the queue (one node of a cluster); SIGTERM drains')
      .option('--concurrency <n>', 'encodes at once on this node (default: number of cores)')
      .option(
        '--lock-seconds <s>',
        "BullMQ's lock: a task of a worker that stops renewing it goes back to the queue after about twice this (default 30)",
      )
      .option('--drain-seconds <s>', 'on SIGTERM, how long running tasks may finish before they are handed back (default 30)'),
  ).action(async (_o, cmd: Command) => (await import('./cluster-commands.js')).workerCommand(g(cmd)));
  clusterOptions(
    program
      .command('serve')
      .description('serve the HTTP API and the web dashboard over the same state dir')
      .addOption(new Option('--backend <name>', 'the home its jobs run in: local (default) or cluster').choices(['local', 'cluster'])),
  )
    .option('--host <host>', 'address to bind; other than loopback needs a token (SHARDCAST_TOKEN, or one is printed)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', '8080')
    .option(
      '--root <dir>',
      'a folder JSON-submitted sources may be read from (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--max-upload-mb <n>', 'largest accepted upload in MiB', '4096')
    .action(async (_o, cmd: Command) => (await import('./serve-command.js')).serveCommand(g(cmd)));
  registerAwsCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Every command that makes an AWS SDK client (estimate, deploy, the emulated home) would print the SDK's
  // warning that its 2027 releases need Node 22 on every start; shardcast pins its SDK through the lockfile.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    process.exitCode = 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or help/version).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    // Stopped by a signal: the exit code says which (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    const code = err instanceof CancelledError ? exitCodeFor(stoppedBy()) : err instanceof ShardcastError ? err.exitCode : 1;
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    const prefix = err instanceof CancelledError ? 'shardcast: interrupted: ' : 'shardcast: error: ';
    process.stderr.write(`${prefix}${asInvoked(oneLine(err))}\n`);
    process.exitCode = code;
  }
}
