// Follows GET /events/:ticket_id. Read with fetch, not EventSource, so the API key can travel in
// a header; reconnects with Last-Event-ID until the final state (`id: done`) has arrived.

/**
 * Calls onEvent(event, data) for each event until the stream ends with the final state, the
 * signal aborts, or the server refuses (onRefused(message)). Resolves when it is over.
 */
export async function followEvents(ticketId, { headers, signal, onEvent, onRefused }) {
  let lastId = '';
  for (let attempt = 0; attempt < 6 && !signal.aborted; attempt++) {
    try {
      const h = headers();
      if (lastId) h['Last-Event-ID'] = lastId;
      const res = await fetch(`/events/${encodeURIComponent(ticketId)}`, { headers: h, signal });
      if (res.status === 204) return;
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        onRefused(body.message || `Could not follow the task (HTTP ${res.status}).`);
        return;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) lastId = line.slice(3).trim();
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (data) onEvent(event, JSON.parse(data));
        }
      }
      if (lastId === 'done') return;
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
}
