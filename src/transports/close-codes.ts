/** WebSocket close codes of call sockets. */
export const CALL_CLOSE = {
  normal: 1000,
  invalidData: 1007,
  policy: 1008,
  internal: 1011,
  tryAgain: 1013,
  modeUnavailable: 4002,
} as const;
