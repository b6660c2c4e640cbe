import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { concatPcm16, pcm16ToBytes } from '../../../src/audio/pcm.ts';
import { FliteTts } from '../../../src/speech/tts/flite.ts';

/**
 * A stand-in for the Azure Speech TTS REST endpoint (POST /cognitiveservices/v1), built from its public
 * contract: key or bearer auth, SSML body, X-Microsoft-OutputFormat raw-*-16bit-mono-pcm, chunked PCM
 * response. The speech itself is real: the SSML's text spoken by flite at the requested rate.
 */
export class AzureTtsSimulator {
  readonly requests: { headers: IncomingMessage['headers']; ssml: string }[] = [];
  /** Answer the next request with this status instead of audio. */
  failNext: { status: number; retryAfter?: string } | undefined;
  private readonly server: Server;
  private readonly flite = new FliteTts();
  private readonly key: string;
  private readonly bearerToken: string | undefined;

  /** `bearerToken`: the one Entra ID token accepted (unset: any bearer token). */
  constructor(key: string, bearerToken?: string) {
    this.key = key;
    this.bearerToken = bearerToken;
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.flite.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const ssml = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ headers: request.headers, ssml });
    if (request.method !== 'POST' || request.url !== '/cognitiveservices/v1')
      return this.reply(response, 404, 'not found');
    const bearer = this.bearerToken
      ? request.headers.authorization === `Bearer ${this.bearerToken}`
      : request.headers.authorization?.startsWith('Bearer ');
    if (request.headers['ocp-apim-subscription-key'] !== this.key && !bearer)
      return this.reply(response, 401, 'Unauthorized');
    if (!request.headers['content-type']?.startsWith('application/ssml+xml'))
      return this.reply(response, 400, 'bad content type');
    const format = /^raw-(8|16|24|48)khz-16bit-mono-pcm$/.exec(
      String(request.headers['x-microsoft-outputformat']),
    );
    if (!format) return this.reply(response, 400, 'unsupported output format');
    const voice = /<voice name="([^"]+)">/.exec(ssml);
    const text = /<voice name="[^"]+">(?:<prosody rate="([+-]\d+)%">)?(.*?)(?:<\/prosody>)?<\/voice>/s.exec(
      ssml,
    );
    if (!ssml.startsWith('<speak') || !voice || !text) return this.reply(response, 400, 'invalid SSML');
    if (this.failNext) {
      const { status, retryAfter } = this.failNext;
      this.failNext = undefined;
      if (retryAfter) response.setHeader('Retry-After', retryAfter);
      return this.reply(response, status, 'simulated failure');
    }
    const sampleRate = Number(format[1]) * 1000;
    const rate = 1 + Number(text[1] ?? 0) / 100;
    const spoken = text[2]!.replace(
      /&(lt|gt|amp|apos|quot);/g,
      (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e]!,
    );
    const audio: Int16Array[] = [];
    for await (const chunk of this.flite.synthesize({ text: spoken, sampleRate, rate })) audio.push(chunk);
    const bytes = pcm16ToBytes(concatPcm16(audio));
    response.writeHead(200, { 'Content-Type': 'audio/x-wav' });
    // Odd-sized chunks, as a network would deliver them.
    for (let offset = 0; offset < bytes.length; offset += 4001)
      response.write(bytes.subarray(offset, offset + 4001));
    response.end();
  }

  private reply(response: ServerResponse, status: number, body: string): void {
    response.writeHead(status, { 'Content-Type': 'text/plain' });
    response.end(body);
  }
}
