/** Where calls connect: the server routes them, the load tester dials them. */
export const CALL_ROUTES = {
  acs: '/api/v1/media/stream',
  acsTranscription: '/api/v1/media/transcription',
  browser: '/api/v1/realtime/conversation',
  realtime: '/v1/realtime',
} as const;
