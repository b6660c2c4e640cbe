import { describe, expect, it } from 'vitest';
import { toLlmMessages } from '../../../src/agents/llm-runner.ts';
import type { LlmMessage } from '../../../src/llm/types.ts';
import type { ChatMessage } from '../../../src/state/session.ts';

const system: ChatMessage = { role: 'system', content: 'You are the front desk.' };
const user = (content: string): ChatMessage => ({ role: 'user', content, meta: { turn: 2 } });
const said = (content: string): ChatMessage => ({
  role: 'assistant',
  content,
  meta: { turn: 2, spoken_from: 0 },
});
const call = (id: string, name = 'authenticate_caller') => ({ id, name, arguments: `{"n":"${id}"}` });
const calling = (content: string, ...ids: string[]): ChatMessage => ({
  role: 'assistant',
  content,
  tool_calls: ids.map((id) => call(id)),
  meta: { turn: 2 },
});
const result = (id: string | undefined, content = '{"ok":true}'): ChatMessage => ({
  role: 'tool',
  name: 'authenticate_caller',
  ...(id !== undefined ? { tool_call_id: id } : {}),
  content,
  meta: { turn: 2 },
});

/**
 * Whether the API would take the sequence: each assistant message with tool calls is followed at once
 * by exactly one tool message per call, and every tool message answers the calls just before it.
 */
function problems(messages: readonly LlmMessage[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < messages.length; i += 1) {
    const message = messages[i]!;
    if (message.role === 'tool') {
      let j = i - 1;
      while (j >= 0 && messages[j]!.role === 'tool') j -= 1;
      const owner = messages[j];
      const ids = owner?.role === 'assistant' ? (owner.tool_calls ?? []).map((c) => c.id) : [];
      if (!ids.includes(message.tool_call_id)) found.push(`tool ${message.tool_call_id} answers no call`);
    }
    if (message.role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) {
      const answers: string[] = [];
      for (let j = i + 1; j < messages.length && messages[j]!.role === 'tool'; j += 1)
        answers.push((messages[j] as { tool_call_id: string }).tool_call_id);
      const ids = message.tool_calls.map((c) => c.id);
      if ([...ids].sort().join() !== [...answers].sort().join())
        found.push(`calls ${ids.join()} answered by ${answers.join() || 'nothing'}`);
    }
  }
  return found;
}

describe('toLlmMessages', () => {
  it('passes a complete sequence through in API form (meta and names left out)', () => {
    const history: ChatMessage[] = [
      system,
      said('Hi there from XYZ Insurance!'),
      user("I'm Alice Brown, zip 60601"),
      calling('', 'call_1', 'call_2'),
      result('call_1', '{"authenticated":false}'),
      result('call_2', '{"authenticated":true}'),
      said('Thank you, Alice.'),
      user('I want to file a claim'),
      calling('One moment.', 'call_3'),
      result('call_3'),
    ];
    const messages = toLlmMessages(history);
    expect(messages).toEqual([
      { role: 'system', content: 'You are the front desk.' },
      { role: 'assistant', content: 'Hi there from XYZ Insurance!' },
      { role: 'user', content: "I'm Alice Brown, zip 60601" },
      { role: 'assistant', content: null, tool_calls: [call('call_1'), call('call_2')] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"authenticated":false}' },
      { role: 'tool', tool_call_id: 'call_2', content: '{"authenticated":true}' },
      { role: 'assistant', content: 'Thank you, Alice.' },
      { role: 'user', content: 'I want to file a claim' },
      { role: 'assistant', content: 'One moment.', tool_calls: [call('call_3')] },
      { role: 'tool', tool_call_id: 'call_3', content: '{"ok":true}' },
    ]);
    expect(problems(messages)).toEqual([]);
  });

  it('drops tool messages whose call was trimmed away', () => {
    // Trimming kept the system prompt and the latest messages: the call of the first two results is gone.
    const history = [system, result('call_1'), result('call_2'), said('You are verified.'), user('Thanks')];
    const messages = toLlmMessages(history);
    expect(messages).toEqual([
      { role: 'system', content: 'You are the front desk.' },
      { role: 'assistant', content: 'You are verified.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('drops tool messages that answer no call just before them, or carry no id', () => {
    const history = [
      system,
      user('Hello'),
      result('call_x'),
      calling('', 'call_1'),
      result('call_1'),
      result('call_other'),
      result(undefined),
      said('Done.'),
    ];
    const messages = toLlmMessages(history);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    expect(messages[3]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"ok":true}' });
    expect(problems(messages)).toEqual([]);
  });

  it('reduces an assistant message to its text when a call lacks its result, and drops that call’s results', () => {
    const history = [
      system,
      user('Check both'),
      calling('Let me check.', 'call_1', 'call_2'),
      result('call_1'),
    ];
    const messages = toLlmMessages(history);
    expect(messages).toEqual([
      { role: 'system', content: 'You are the front desk.' },
      { role: 'user', content: 'Check both' },
      { role: 'assistant', content: 'Let me check.' },
    ]);
    expect(messages[2]).not.toHaveProperty('tool_calls');
  });

  it('drops an assistant message with unanswered calls and no text', () => {
    const history = [system, user('Check it'), calling('', 'call_1'), user('Hello?')];
    expect(toLlmMessages(history)).toEqual([
      { role: 'system', content: 'You are the front desk.' },
      { role: 'user', content: 'Check it' },
      { role: 'user', content: 'Hello?' },
    ]);
  });

  it('keeps an empty history empty and a text-only one as it is', () => {
    expect(toLlmMessages([])).toEqual([]);
    expect(toLlmMessages([user('Hi'), said('Hello.')])).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
    ]);
  });

  // A call's results count only in the block of tool messages right after it.
  it('does not count a result that does not follow its call', () => {
    const history = [
      system,
      user('Check it'),
      calling('Let me check.', 'call_1'),
      user('Hello?'),
      result('call_1'),
    ];
    const messages = toLlmMessages(history);
    expect(problems(messages)).toEqual([]);
    expect(messages).toEqual([
      { role: 'system', content: 'You are the front desk.' },
      { role: 'user', content: 'Check it' },
      { role: 'assistant', content: 'Let me check.' },
      { role: 'user', content: 'Hello?' },
    ]);
  });

  // Servers without tool-call ids (Ollama) get call_0, call_1, … per response: ids repeat in a thread.
  it('does not take the result of an earlier call with the same id', () => {
    const history = [
      system,
      user("I'm Alice Brown, zip 60601"),
      calling('', 'call_0'),
      result('call_0'),
      said('You are verified.'),
      user('And my claim?'),
      calling('Let me look.', 'call_0'),
    ];
    const messages = toLlmMessages(history);
    expect(problems(messages)).toEqual([]);
    expect(messages.at(-1)).toEqual({ role: 'assistant', content: 'Let me look.' });
  });
});
