import { describe, expect, it } from 'vitest';
import { assembleToolCalls, ToolCallAssembler } from '../../../src/llm/tool-call-assembler.ts';

describe('ToolCallAssembler', () => {
  it('concatenates argument fragments per index (the captured gpt-4o stream of PROTOCOLS.md §7.3)', () => {
    const calls = assembleToolCalls([
      { index: 0, id: 'call_7m75', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"' } },
      { index: 0, function: { arguments: 'location' } },
      { index: 0, function: { arguments: '":"' } },
      { index: 0, function: { arguments: 'San' } },
      { index: 0, function: { arguments: ' Francisco' } },
      { index: 0, function: { arguments: '"}' } },
    ]);
    expect(calls).toEqual([
      { id: 'call_7m75', name: 'get_weather', arguments: '{"location":"San Francisco"}' },
    ]);
  });

  it('keys interleaved parallel calls on their index', () => {
    const calls = assembleToolCalls([
      { index: 0, id: 'a', function: { name: 'one', arguments: '' } },
      { index: 1, id: 'b', function: { name: 'two', arguments: '' } },
      { index: 0, function: { arguments: '{"x":' } },
      { index: 1, function: { arguments: '{"y":' } },
      { index: 1, function: { arguments: '2}' } },
      { index: 0, function: { arguments: '1}' } },
    ]);
    expect(calls).toEqual([
      { id: 'a', name: 'one', arguments: '{"x":1}' },
      { id: 'b', name: 'two', arguments: '{"y":2}' },
    ]);
  });

  it('starts a new call on a new id even when the index repeats (Ollama: index 0 for every call)', () => {
    const calls = assembleToolCalls([
      { index: 0, id: 'call_1', function: { name: 'lookup', arguments: '{"id":"1"}' } },
      { index: 0, id: 'call_2', function: { name: 'lookup', arguments: '{"id":"2"}' } },
    ]);
    expect(calls).toEqual([
      { id: 'call_1', name: 'lookup', arguments: '{"id":"1"}' },
      { id: 'call_2', name: 'lookup', arguments: '{"id":"2"}' },
    ]);
  });

  it('keeps appending to the newest call of a repeated index', () => {
    const calls = assembleToolCalls([
      { index: 0, id: 'call_1', function: { name: 'a', arguments: '{}' } },
      { index: 0, id: 'call_2', function: { name: 'b', arguments: '{"k":' } },
      { index: 0, function: { arguments: '"v"}' } },
    ]);
    expect(calls.map((c) => [c.id, c.arguments])).toEqual([
      ['call_1', '{}'],
      ['call_2', '{"k":"v"}'],
    ]);
  });

  it('treats the same id repeated on every fragment as one call', () => {
    const calls = assembleToolCalls([
      { index: 0, id: 'x', function: { name: 'f', arguments: '{"a"' } },
      { index: 0, id: 'x', function: { arguments: ':1}' } },
    ]);
    expect(calls).toEqual([{ id: 'x', name: 'f', arguments: '{"a":1}' }]);
  });

  it('synthesizes call_<n> when the id is missing', () => {
    const calls = assembleToolCalls([
      { index: 0, function: { name: 'first', arguments: '{}' } },
      { index: 1, function: { name: 'second', arguments: '{"q":' } },
      { index: 1, function: { arguments: '1}' } },
    ]);
    expect(calls).toEqual([
      { id: 'call_0', name: 'first', arguments: '{}' },
      { id: 'call_1', name: 'second', arguments: '{"q":1}' },
    ]);
  });

  it('adopts a real id that arrives after the first fragment instead of starting a new call', () => {
    const calls = assembleToolCalls([
      { index: 0, function: { name: 'f', arguments: '{"a":' } },
      { index: 0, id: 'late_id', function: { arguments: '1}' } },
    ]);
    expect(calls).toEqual([{ id: 'late_id', name: 'f', arguments: '{"a":1}' }]);
  });

  it('accepts whole arguments in one fragment', () => {
    expect(
      assembleToolCalls([
        { index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1,"b":[2]}' } },
      ]),
    ).toEqual([{ id: 'c', name: 'f', arguments: '{"a":1,"b":[2]}' }]);
  });

  it('continues the latest call when a fragment has no index', () => {
    const calls = assembleToolCalls([
      { id: 'a', function: { name: 'f', arguments: '' } },
      { function: { arguments: '{"x":' } },
      { function: { arguments: '1}' } },
      { id: 'b', function: { name: 'g', arguments: '{}' } },
    ]);
    expect(calls).toEqual([
      { id: 'a', name: 'f', arguments: '{"x":1}' },
      { id: 'b', name: 'g', arguments: '{}' },
    ]);
  });

  it('separates parallel calls that have neither index nor id, one whole call per fragment', () => {
    const calls = assembleToolCalls([
      { function: { name: 'lookup', arguments: '{"id":"1"}' } },
      { function: { name: 'lookup', arguments: '{"id":"2"}' } },
      { index: null, id: null, function: { name: 'other', arguments: '{}' } },
    ]);
    expect(calls).toEqual([
      { id: 'call_0', name: 'lookup', arguments: '{"id":"1"}' },
      { id: 'call_1', name: 'lookup', arguments: '{"id":"2"}' },
      { id: 'call_2', name: 'other', arguments: '{}' },
    ]);
  });

  it('does not split a call whose fragments repeat the name while the arguments are incomplete', () => {
    const calls = assembleToolCalls([
      { index: 0, function: { name: 'f', arguments: '{"a":' } },
      { index: 0, function: { name: 'f', arguments: '1}' } },
      { index: 0, function: { name: 'f', arguments: '' } },
    ]);
    expect(calls).toEqual([{ id: 'call_0', name: 'f', arguments: '{"a":1}' }]);
  });

  it('drops empty fragments and reports calls in the order they started', () => {
    const assembler = new ToolCallAssembler();
    assembler.add({ index: 3, id: 'late', function: { name: 'z', arguments: '{}' } });
    assembler.add({ index: 1, id: 'early', function: { name: 'a', arguments: '{}' } });
    assembler.add({ index: 2 });
    expect(assembler.result().map((c) => c.id)).toEqual(['late', 'early']);
    expect(assembler.size).toBe(3);
  });
});
