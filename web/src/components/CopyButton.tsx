import { useEffect, useState } from 'react';

type CopyState = { status: 'idle' } | { status: 'copied' | 'failed'; text: string };

/**
 * Copies `text` to the clipboard and says so for a moment (and to screen readers). What it says
 * belongs to the text that was copied: when the button is given other text (another tab of
 * snippets, say), it reads "Copy" again at once.
 */
export function CopyButton({ text, label = 'Copy', name }: { text: string; label?: string; name?: string }) {
  const [state, setState] = useState<CopyState>({ status: 'idle' });

  useEffect(() => {
    if (state.status === 'idle') return;
    const timer = window.setTimeout(() => setState({ status: 'idle' }), 2000);
    return () => window.clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState({ status: 'copied', text });
    } catch {
      setState({ status: 'failed', text });
    }
  }

  const status = state.status !== 'idle' && state.text === text ? state.status : 'idle';
  return (
    <>
      <button type="button" className="button button-small" onClick={copy} aria-label={status === 'idle' ? name : undefined}>
        {status === 'copied' ? 'Copied' : status === 'failed' ? 'Copy failed — select the text' : label}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {status === 'copied' ? 'Copied to the clipboard' : ''}
      </span>
    </>
  );
}
