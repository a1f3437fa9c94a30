import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { mockApi, renderApp, signIn } from '../test/utils';
import { S3AccessPage } from './S3AccessPage';

const credentials = {
  access_key_id: 'TGTEMPKEY',
  secret_access_key: 'temp-secret',
  expiration: '2026-11-29T04:30:17Z',
  endpoint: 'http://127.0.0.1:9080/',
  region: 'us-east-1',
};

const activeKey = {
  id: 4,
  access_key_id: 'TGLONGKEY4',
  description: 'backup server',
  created_at: '2026-11-01T10:00:00Z',
  expires_at: null,
  revoked_at: null,
  status: 'active',
};

beforeEach(() => {
  signIn();
});

describe('S3AccessPage', () => {
  it('shows temporary credentials with the secret hidden until asked', async () => {
    const { calls } = mockApi({ 'POST /credentials': { body: credentials }, 'GET /keys': { body: { keys: [] } } });
    renderApp(<S3AccessPage />);
    expect(await screen.findByTestId('value-access-key-id')).toHaveTextContent('TGTEMPKEY');
    expect(screen.getByTestId('value-endpoint')).toHaveTextContent('http://127.0.0.1:9080');
    expect(screen.getByTestId('value-secret-access-key')).not.toHaveTextContent('temp-secret');
    await userEvent.click(screen.getByRole('button', { name: 'Show secret access key' }));
    expect(screen.getByTestId('value-secret-access-key')).toHaveTextContent('temp-secret');
    expect(calls.filter((c) => c.path === '/credentials')).toHaveLength(1);
    expect(screen.getByText('No long-lived keys yet.')).toBeInTheDocument();
  });

  it("names the server's upload bucket (upload.default_bucket), in the text and the snippets", async () => {
    mockApi({
      'POST /credentials': { body: credentials },
      'GET /keys': { body: { keys: [] } },
      'GET /auth/me': {
        body: { user_id: 1, email: 'a@example.com', is_admin: false, expires_at: 0, default_bucket: 'uploads' },
      },
    });
    renderApp(<S3AccessPage />);
    expect(await screen.findByText('uploads', { selector: 'p.lead code' })).toBeInTheDocument();
    await waitFor(() => expect(document.body.textContent).toContain('s3://uploads/'));
  });

  it('creates a key and shows its secret once, with a copy button', async () => {
    let keys: unknown[] = [];
    const { calls } = mockApi({
      'POST /credentials': { body: credentials },
      'GET /keys': () => ({ body: { keys } }),
      'POST /keys': () => {
        keys = [activeKey];
        return { status: 201, body: { ...activeKey, secret_access_key: 'long-secret' } };
      },
    });
    renderApp(<S3AccessPage />);
    await screen.findByText('No long-lived keys yet.');
    await userEvent.type(screen.getByLabelText('Description (optional)'), 'backup server');
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }));

    expect(await screen.findByText(/it is shown only once/)).toBeInTheDocument();
    expect(screen.getByTestId('value-new-secret-access-key')).toHaveTextContent('long-secret');
    expect(screen.getByRole('button', { name: 'Copy new secret access key' })).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST' && c.path === '/keys')?.body).toEqual({ description: 'backup server' });
    const table = await screen.findByRole('table');
    expect(within(table).getByText('TGLONGKEY4')).toBeInTheDocument();
    expect(within(table).queryByText('long-secret')).not.toBeInTheDocument();
    // The snippets switch to the new key, since its secret is known only now.
    expect(screen.getByRole('tabpanel')).toHaveTextContent('aws_secret_access_key long-secret');

    await userEvent.click(screen.getByRole('button', { name: 'I have saved it' }));
    expect(screen.queryByText('long-secret')).not.toBeInTheDocument();
  });

  it('revokes a key after confirmation', async () => {
    let keys: unknown[] = [activeKey];
    const { calls } = mockApi({
      'POST /credentials': { body: credentials },
      'GET /keys': () => ({ body: { keys } }),
      'DELETE /keys/4': () => {
        keys = [{ ...activeKey, status: 'revoked', revoked_at: '2026-11-28T00:00:00Z' }];
        return { status: 204 };
      },
    });
    renderApp(<S3AccessPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke TGLONGKEY4' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Revoke this key?' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Revoke' }));
    expect(await screen.findByText('revoked')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Revoke TGLONGKEY4' })).not.toBeInTheDocument();
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/keys/4')).toBe(true);
  });

  it('offers aws-cli, rclone and boto3 snippets with the gateway address and path-style, switchable by keyboard', async () => {
    mockApi({ 'POST /credentials': { body: credentials }, 'GET /keys': { body: { keys: [] } } });
    renderApp(<S3AccessPage />);
    const panel = await screen.findByRole('tabpanel');
    expect(panel).toHaveTextContent('--endpoint-url http://127.0.0.1:9080 s3 ls s3://files/');
    expect(panel).toHaveTextContent('s3.addressing_style path');
    const awsTab = screen.getByRole('tab', { name: 'aws-cli' });
    expect(awsTab).toHaveAttribute('aria-selected', 'true');
    awsTab.focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: 'rclone' })).toHaveFocus();
    await waitFor(() => expect(screen.getByRole('tabpanel')).toHaveTextContent('force_path_style = true'));
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByRole('tabpanel')).toHaveTextContent('"addressing_style": "path"');
    expect(screen.getByRole('tabpanel')).toHaveTextContent('endpoint_url="http://127.0.0.1:9080"');
  });

  it('masks the temporary secret in the snippets too until Show, while Copy copies the real one', async () => {
    mockApi({ 'POST /credentials': { body: credentials }, 'GET /keys': { body: { keys: [] } } });
    const user = userEvent.setup();
    renderApp(<S3AccessPage />);
    const panel = await screen.findByRole('tabpanel');
    expect(panel).not.toHaveTextContent('temp-secret');
    expect(panel).toHaveTextContent('aws_secret_access_key ••••');
    expect(panel).toHaveTextContent('aws_access_key_id TGTEMPKEY');

    await user.click(within(panel).getByRole('button', { name: 'Copy aws-cli snippet' }));
    const copied = await navigator.clipboard.readText();
    expect(copied).toContain('aws configure set aws_secret_access_key temp-secret --profile tiergate');
    expect(copied).not.toContain('•');

    await user.click(screen.getByRole('button', { name: 'Show secret access key' }));
    expect(screen.getByRole('tabpanel')).toHaveTextContent('aws_secret_access_key temp-secret');
    await user.click(screen.getByRole('button', { name: 'Hide secret access key' }));
    expect(screen.getByRole('tabpanel')).not.toHaveTextContent('temp-secret');
  });

  it("does not say \"Copied\" on another tab's copy button after a tab switch", async () => {
    mockApi({ 'POST /credentials': { body: credentials }, 'GET /keys': { body: { keys: [] } } });
    const user = userEvent.setup();
    renderApp(<S3AccessPage />);
    const panel = await screen.findByRole('tabpanel');
    await user.click(within(panel).getByRole('button', { name: 'Copy aws-cli snippet' }));
    expect(within(panel).getByRole('button', { name: 'Copied' })).toBeInTheDocument();

    await user.click(screen.getByRole('tab', { name: 'rclone' }));
    const rclonePanel = screen.getByRole('tabpanel');
    expect(within(rclonePanel).queryByRole('button', { name: 'Copied' })).not.toBeInTheDocument();
    expect(within(rclonePanel).getByRole('button', { name: 'Copy rclone snippet' })).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toContain('aws configure');
  });
});
