/** A minimal Server-Sent Events reader for tests: collects events until `until` says stop. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export async function readEvents(
  url: string,
  until: (events: SseEvent[]) => boolean,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<SseEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no matching events from ${url} within ${timeoutMs} ms`)), timeoutMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error('not an event stream');
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const ev: SseEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'event') ev.event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'id') ev.id = value;
        }
        if (data.length === 0) continue;
        ev.data = data.join('\n');
        events.push(ev);
        if (until(events)) {
          ac.abort();
          return events;
        }
      }
    }
    throw new Error('the event stream ended');
  } catch (err) {
    if (ac.signal.aborted && until(events)) return events;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
