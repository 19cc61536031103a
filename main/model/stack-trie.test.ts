import { describe, expect, it } from 'vitest';
import { StackTrie } from './stack-trie';

describe('StackTrie', () => {
  it('interns each (parent, frame) once and walks paths outermost first', () => {
    const trie = new StackTrie();
    const a = trie.intern([1, 2, 3]);
    const b = trie.intern([1, 2, 4]);
    expect(trie.intern([1, 2, 3])).toBe(a);
    expect(a).not.toBe(b);
    expect(trie.path(a)).toEqual([1, 2, 3]);
    expect(trie.path(b)).toEqual([1, 2, 4]);
    expect(trie.parent(a)).toBe(trie.parent(b));
    expect(trie.depth(a)).toBe(3);
    expect(trie.size).toBe(5);
  });

  it('stays consistent across many rehashes', () => {
    const trie = new StackTrie();
    const leaves: number[] = [];
    for (let i = 0; i < 50_000; i++) leaves.push(trie.intern([i % 97, i % 1013, i]));
    for (let i = 0; i < 50_000; i += 997) {
      expect(trie.path(leaves[i])).toEqual([i % 97, i % 1013, i]);
      expect(trie.intern([i % 97, i % 1013, i])).toBe(leaves[i]);
    }
  });
});
