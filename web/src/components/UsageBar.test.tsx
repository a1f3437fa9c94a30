import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount } from '../lib/format';
import { UsageBar } from './UsageBar';

const MiB = 1024 * 1024;

function segments(container: HTMLElement) {
  const hot = container.querySelector<HTMLElement>('.usage-hot');
  const cold = container.querySelector<HTMLElement>('.usage-cold');
  return { hot: hot?.style.width, cold: cold?.style.width };
}

describe('UsageBar', () => {
  it('splits the bar into hot (MinIO blue) and cold (S3 green) against the quota', () => {
    const { container } = render(
      <UsageBar label="Storage" hot={1 * MiB} cold={3 * MiB} limit={8 * MiB} format={formatBytes} />,
    );
    expect(screen.getByText('4 MiB of 8 MiB used')).toBeInTheDocument();
    expect(segments(container)).toEqual({ hot: '12.5%', cold: '37.5%' });
    expect(container.querySelector('.usage-hot')).toBeInTheDocument();
    expect(screen.getByRole('img')).toHaveAccessibleName(
      'Storage: 4 MiB of 8 MiB used (50%); 1 MiB in the hot tier (MinIO), 3 MiB in the cold tier (S3)',
    );
    // The legend uses the tier badges, so the split is not told by colour alone.
    expect(screen.getByText('MinIO')).toHaveClass('badge-minio');
    expect(screen.getByText('S3')).toHaveClass('badge-s3');
  });

  it('says "no quota" and only shows the split when there is no limit', () => {
    const { container } = render(<UsageBar label="Storage" hot={3 * MiB} cold={1 * MiB} limit={null} format={formatBytes} />);
    expect(screen.getByText('4 MiB used, no quota')).toBeInTheDocument();
    expect(segments(container)).toEqual({ hot: '75%', cold: '25%' });
    expect(container.querySelector('.usage-bar')).toHaveClass('usage-bar-unlimited');
  });

  it('is empty for nothing stored', () => {
    const { container } = render(<UsageBar label="Storage" hot={0} cold={0} limit={null} format={formatBytes} />);
    expect(screen.getByText('0 B used, no quota')).toBeInTheDocument();
    expect(segments(container)).toEqual({ hot: '0%', cold: '0%' });
  });

  it('is full and says so past the quota (a quota lowered below what is stored)', () => {
    const { container } = render(<UsageBar label="Storage" hot={2 * MiB} cold={2 * MiB} limit={2 * MiB} format={formatBytes} />);
    expect(screen.getByText(/4 MiB of 2 MiB used/)).toHaveTextContent('4 MiB of 2 MiB used — over the quota');
    expect(segments(container)).toEqual({ hot: '50%', cold: '50%' });
    expect(container.querySelector('.usage')).toHaveClass('usage-over');
  });

  it('counts objects with their noun', () => {
    render(<UsageBar label="Objects" hot={3} cold={1197} limit={2000} format={formatCount} noun={['object', 'objects']} />);
    expect(screen.getByText('1,200 of 2,000 objects used')).toBeInTheDocument();
  });

  it('says "object" for exactly one, not "1 objects"', () => {
    const { unmount } = render(<UsageBar label="Objects" hot={1} cold={0} limit={null} format={formatCount} noun={['object', 'objects']} />);
    expect(screen.getByText('1 object used, no quota')).toBeInTheDocument();
    unmount();
    render(<UsageBar label="Objects" hot={0} cold={0} limit={1} format={formatCount} noun={['object', 'objects']} />);
    expect(screen.getByText('0 of 1 object used')).toBeInTheDocument();
  });
});
