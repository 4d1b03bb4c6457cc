/** The one markup module every HTML page is written with: what it escapes, and what it leaves alone. */
import { describe, expect, it } from 'vitest';
import { Html, documentOf, esc, html, trusted } from '../../src/web/markup.js';

describe('html', () => {
  it('escapes every interpolated value for element content and quoted attributes, all five characters', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const name = '<script>alert("1")</script>';
    expect(html`<p title="${name}">${name}</p>`.value).toBe('<p title="&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;</p>');
  });

  it('puts markup made by html in as it is, so nothing is escaped twice, and joins arrays', () => {
    const item = (s: string) => html`<li>${s}</li>`;
    expect(html`<ul>${['a&b', 'c'].map(item)}</ul>`.value).toBe('<ul><li>a&amp;b</li><li>c</li></ul>');
  });

  it('writes nothing for null, undefined and false, and numbers as text', () => {
    expect(html`[${null}${undefined}${false}${0}${12.5}]`.value).toBe('[012.5]');
  });

  it('leaves alone only what is marked trusted or is already Html; a plain string is always escaped', () => {
    expect(html`<style>${trusted('a{font:"x"}')}</style>`.value).toBe('<style>a{font:"x"}</style>');
    expect(html`${new Html('<b>')}${'<b>'}`.value).toBe('<b>&lt;b&gt;');
  });

  it('a document is the doctype line, then the page', () => {
    expect(documentOf(html`<html></html>`)).toBe('<!doctype html>\n<html></html>');
  });
});
