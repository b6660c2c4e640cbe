/** E.164: a plus sign, then up to 15 digits, the first not zero. */
export const E164 = /^\+[1-9]\d{1,14}$/;
