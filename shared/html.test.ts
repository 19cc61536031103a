import { describe, expect, it } from 'vitest';
import { escapeHtml } from './html';

describe('escapeHtml', () => {
  it('replaces each of & < > " \' with its entity and leaves everything else', () => {
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&#39;f');
    expect(escapeHtml('<module> · 日本 ✓')).toBe('&lt;module&gt; · 日本 ✓');
  });

  it('escapes an ampersand once, so entities in the input stay visible as text', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });

  it('leaves no markup: the output has no < > " \' and every & starts an entity it wrote', () => {
    const input = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    const out = escapeHtml(input);
    expect(out).not.toMatch(/[<>"']/);
    expect(out.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
  });
});
