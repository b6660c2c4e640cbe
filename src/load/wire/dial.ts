import type { IncomingMessage } from 'node:http';
import { ACS_CALLER } from './acs-caller.ts';
import { BROWSER_CALLER } from './browser-caller.ts';
import type { CallerProtocol, CallerWire } from './caller-wire.ts';

export const WIRES: Readonly<Record<CallerProtocol, CallerWire>> = {
  acs: ACS_CALLER,
  browser: BROWSER_CALLER,
};

/** `url` with the protocol's path (when it has none) and the session and call ids in the query. */
export function callerUrl(base: string, protocol: CallerProtocol, sessionId: string, callId?: string): URL {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = WIRES[protocol].route;
  WIRES[protocol].query(url, callId);
  if (!url.searchParams.has('session_id')) url.searchParams.set('session_id', sessionId);
  return url;
}

/**
 * Why an upgrade was refused: its status, and the start of its body, which usually says why (overloaded,
 * unauthorized), read for half a second at most.
 */
export function refusalOf(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    const done = () => {
      clearTimeout(timer);
      const detail = body.trim() ? `: ${body.trim().slice(0, 200)}` : '';
      resolve(`HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim() + detail);
    };
    const timer = setTimeout(done, 500);
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (body.length < 1000) body += chunk;
    });
    response.once('end', done);
    response.once('error', done);
  });
}
