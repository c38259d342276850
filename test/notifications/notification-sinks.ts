import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import { trackResource } from '../helpers/leak-check.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP endpoint that records requests; `respond` decides each answer. */
export async function startHttpSink(respond: (request: ReceivedRequest, index: number) => { status: number; body?: string } = () => ({ status: 200, body: 'ok' })) {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      received.push(entry);
      const answer = respond(entry, received.length - 1);
      response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const release = trackResource('http sink', close);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      release();
      server.closeAllConnections();
      await close();
    },
  };
}

/**
 * Answers as the services do: Discord's webhooks 204 without a body, Mattermost's "ok", ntfy
 * the JSON of the message it published, anything else 200 "ok".
 */
export function answerLikeServices(request: ReceivedRequest): { status: number; body?: string } {
  if (request.url.startsWith('/api/webhooks/')) return { status: 204 };
  if (request.headers.title !== undefined) return { status: 200, body: JSON.stringify({ id: 'm1', time: 1, event: 'message', topic: request.url.slice(1), message: request.body }) };
  return { status: 200, body: 'ok' };
}

/** A request's JSON body. */
export const jsonBody = (request: ReceivedRequest) => JSON.parse(request.body) as Record<string, unknown>;

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  data: string;
}

/** A local SMTP server without TLS or auth that keeps every message. */
export async function startSmtpSink() {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        messages.push({ from: from ? from.address : undefined, to: session.envelope.rcptTo.map((rcpt) => rcpt.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const release = trackResource('smtp sink', close);
  return {
    port,
    messages,
    close: async () => {
      release();
      await close();
    },
  };
}

/**
 * A local TCP port that counts the connections it accepts and turns each away with an SMTP
 * refusal greeting (so a client that reached it fails at once instead of waiting).
 */
export async function startConnectionCounter() {
  const counter = { connections: 0 };
  const server = net.createServer((socket) => {
    counter.connections += 1;
    socket.on('error', () => undefined);
    socket.end('554 pgferry test: no service here\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const release = trackResource('connection counter', close);
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return counter.connections;
    },
    close: async () => {
      release();
      await close();
    },
  };
}
