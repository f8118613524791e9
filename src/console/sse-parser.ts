/** One server-sent event: the fields the console uses. */
export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A parser of the `text/event-stream` format (WHATWG HTML §9.2) fed in chunks as they arrive;
 * calls `dispatch` for each complete event. Comments (heartbeats) are skipped.
 */
export function createSseParser(
  dispatch: (event: ServerSentEvent) => void,
): (chunk: string) => void {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;

  function line(text: string): void {
    if (text === '') {
      if (data.length > 0)
        dispatch({ id, event: event === '' ? 'message' : event, data: data.join('\n') });
      data = [];
      event = '';
      id = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
  }

  return (chunk) => {
    buffer += chunk;
    // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
    const lines = buffer.split(/\r\n|\n|\r(?!$)/);
    buffer = lines.pop() ?? '';
    for (const text of lines) line(text);
  };
}
