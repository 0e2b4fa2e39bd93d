/**
 * Plays a ladder job's HLS master playlist in the page with hls.js (Media Source Extensions), the token sent as
 * a Bearer header on every playlist and segment request; hls.js is loaded only for a ladder (its own chunk).
 * Where the browser plays HLS itself (Safari), the playlist URL is given to the video element with the token
 * as a query parameter. Returns a stop function.
 */
import { authHeaders, withToken } from './api.js';

export function playLadder(video: HTMLVideoElement, url: string): () => void {
  let stop = () => video.removeAttribute('src');
  let stopped = false;
  void import('hls.js').then(
    ({ default: Hls }) => {
      if (stopped) return;
      if (!Hls.isSupported()) {
        video.src = withToken(url);
        return;
      }
      const hls = new Hls({
        xhrSetup: (xhr) => {
          for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
        },
      });
      hls.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => {
        const level = hls.levels[d.level];
        if (level) video.dataset.level = `${level.width}x${level.height}`;
      });
      hls.on(Hls.Events.ERROR, (_e, d) => {
        if (d.fatal) video.dataset.error = `${d.type}: ${d.details}`;
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      stop = () => hls.destroy();
    },
    (err: Error) => {
      video.dataset.error = `hls.js could not be loaded: ${err.message}`;
    },
  );
  return () => {
    stopped = true;
    stop();
  };
}
