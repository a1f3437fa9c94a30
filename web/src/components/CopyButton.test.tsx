import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { CopyButton } from './CopyButton';

describe('CopyButton', () => {
  it('copies its text and says so', async () => {
    const user = userEvent.setup();
    render(<CopyButton text="hello" label="Copy greeting" />);
    await user.click(screen.getByRole('button', { name: 'Copy greeting' }));
    expect(screen.getByRole('button', { name: 'Copied' })).toBeInTheDocument();
    expect(screen.getByText('Copied to the clipboard')).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe('hello');
  });

  it('reads "Copy" again at once when it is given other text', async () => {
    const user = userEvent.setup();
    const { rerender } = render(<CopyButton text="first" label="Copy it" />);
    await user.click(screen.getByRole('button', { name: 'Copy it' }));
    expect(screen.getByRole('button', { name: 'Copied' })).toBeInTheDocument();
    rerender(<CopyButton text="second" label="Copy it" />);
    expect(screen.getByRole('button', { name: 'Copy it' })).toBeInTheDocument();
    expect(screen.queryByText('Copied to the clipboard')).not.toBeInTheDocument();
    // Back to the text that was copied, within the two seconds: that one was copied.
    rerender(<CopyButton text="first" label="Copy it" />);
    expect(screen.getByRole('button', { name: 'Copied' })).toBeInTheDocument();
  });
});
