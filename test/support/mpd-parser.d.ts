/** mpd-parser (video.js) ships no types: the one function the tests call, loosely typed. */
declare module 'mpd-parser' {
  export function parse(manifest: string, options?: { manifestUri?: string }): unknown;
}
