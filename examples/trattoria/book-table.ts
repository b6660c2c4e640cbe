// Trattoria Sole's tools: the custom `book_table`, its own `end_call`, and the registry that
// `chat.ts` hands to the orchestrator (with the built-in `handoff_to_agent`).
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { INSURANCE_TOOLS } from '../../src/agents/demo/insurance-tools.ts';
import { defineTool, type Tool } from '../../src/agents/tools/tool.ts';
import { ToolRegistry } from '../../src/agents/tools/tool-registry.ts';

/** Today as YYYY-MM-DD in the server's time zone (the date extractor uses the same calendar). */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export const bookTable = defineTool({
  name: 'book_table',
  description: 'Books a table. Call it only after the caller confirmed party size, day, time and name.',
  parameters: z.object({
    party: z.number().int().min(1).max(12).describe('Number of guests'),
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .describe('The day, YYYY-MM-DD'),
    time: z.enum(['six_pm', 'eight_pm']).describe('The seating'),
    name: z.string().min(2).describe('Name for the booking'),
    phone: z
      .string()
      .regex(/^\d{10}$/)
      .optional()
      .describe('Ten-digit phone number'),
  }),
  async run(args, { memo, progress, signal }) {
    // A thrown error reaches the model (or the flow's `result.error`) as the tool's error.
    if (args.day < today()) throw new Error(`${args.day} is in the past`);
    progress('Checking the reservation book');
    await sleep(200, undefined, { signal }); // stands in for a real booking API; stops on barge-in
    const code = String(randomInt(1000, 10000));
    memo.setContext('booking', { ...args, code });
    progress('Table booked', 1);
    return { booked: true, code, code_spoken: code.split('').join(' ') };
  },
});

/** Our own goodbye; the demo's end_call names XYZ Insurance. */
export const endCall = defineTool({
  name: 'end_call',
  description: 'Ends the call politely when the caller has nothing else.',
  parameters: z.object({}),
  run(_args, { endCall }) {
    endCall('completed', 'Thank you for calling Trattoria Sole. Arrivederci!');
    return { ended: true };
  },
});

const handoffToAgent: Tool = INSURANCE_TOOLS.find((tool) => tool.name === 'handoff_to_agent')!;

export const trattoriaTools = new ToolRegistry([bookTable, endCall, handoffToAgent]);
