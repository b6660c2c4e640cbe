import { describe, expect, it } from 'vitest';
import { findPolicy } from '../../../../src/agents/demo/policies.ts';

describe('findPolicy', () => {
  it.each([
    ['Alice Brown', '60601'],
    ['alice braga', '60601'],
    ['Carol when', '10001'],
    ['Karen Nguyen', '4321'],
    ['bob martines', '94105'],
  ])('finds the holder for %j and %s (a name recognised a little wrong)', (name, code) => {
    expect(findPolicy(name, code)).toBeDefined();
  });

  it.each([
    ['Alice Brown', '60602'],
    ['Bob Martinez', '60601'],
    ['Dave Smith', '10001'],
    ['', '10001'],
  ])('refuses %j with %s: the code must match, and the name must come close', (name, code) => {
    expect(findPolicy(name, code)).toBeUndefined();
  });
});
