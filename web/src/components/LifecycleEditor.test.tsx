import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LifecycleConfiguration, LifecycleRule } from '../api/types';
import { apiError, mockApi, renderApp, signIn, type RecordedCall } from '../test/utils';
import { LifecycleEditor } from './LifecycleEditor';

const NONE = apiError(404, 'no_lifecycle_configuration', 'this bucket has no lifecycle configuration');

const complex: LifecycleRule = {
  id: 'uploads-cleanup',
  status: 'Enabled',
  filter: {
    and: {
      prefix: 'raw/',
      tags: [
        { key: 'team', value: 'data' },
        { key: 'keep', value: 'no' },
      ],
    },
  },
  expiration: { date: Date.UTC(2027, 0, 1) },
};

const simple: LifecycleRule = {
  id: 'logs-to-cold',
  status: 'Enabled',
  filter: { prefix: 'logs/' },
  transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
};

/** A server that keeps what it is given, fills in IDs, and answers GET with it. */
function lifecycleServer(initial: LifecycleConfiguration | null) {
  let stored = initial;
  return {
    routes: {
      'GET /buckets/photos/lifecycle': () => (stored ? { body: stored } : NONE),
      'PUT /buckets/photos/lifecycle': (call: RecordedCall) => {
        const sent = call.body as LifecycleConfiguration;
        stored = {
          rules: sent.rules.map((r, i) => ({ ...r, id: r.id ?? `generated-${i + 1}` })),
          transitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
        };
        return { body: stored };
      },
      'DELETE /buckets/photos/lifecycle': () => {
        stored = null;
        return { status: 204 };
      },
    },
    get stored() {
      return stored;
    },
  };
}

beforeEach(() => {
  signIn();
});

describe('LifecycleEditor', () => {
  it('says a bucket without rules follows the default policy, and why small objects stay hot', async () => {
    mockApi({ 'GET /buckets/photos/lifecycle': NONE });
    renderApp(<LifecycleEditor bucket="photos" />);
    expect(await screen.findByText("No rules: this bucket follows the server's default policy.")).toBeInTheDocument();
    expect(
      screen.getByText(/Objects under 128 KiB do not move unless a rule names a minimum size \(AWS's default\), and buckets without rules follow the server's default policy\./),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save rules' })).toBeDisabled();
    expect(screen.queryByTestId('lifecycle-xml')).not.toBeInTheDocument();
  });

  it('adds a rule, shows its XML as it is typed, and saves the whole configuration', async () => {
    const server = lifecycleServer(null);
    const { calls } = mockApi(server.routes);
    renderApp(<LifecycleEditor bucket="photos" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }));
    const form = screen.getByRole('form', { name: 'New rule' });
    await userEvent.type(within(form).getByLabelText('Prefix'), 'logs/');
    // The XML follows the form as it is typed.
    expect(screen.getByTestId('lifecycle-xml')).toHaveTextContent('<Prefix>logs/</Prefix>');
    await userEvent.type(within(form).getByLabelText('Tag key'), 'class');
    await userEvent.type(within(form).getByLabelText('Tag value'), 'archive');
    await userEvent.type(within(form).getByLabelText('Minimum size (bytes)'), '1048576');
    expect(within(form).getByText(/Only objects larger than 1 MiB/)).toBeInTheDocument();
    await userEvent.type(within(form).getByLabelText('Days to cold'), '30');
    await userEvent.type(within(form).getByLabelText('Days to delete'), '365');
    const xml = screen.getByTestId('lifecycle-xml').textContent ?? '';
    expect(xml).toContain('<And>');
    expect(xml).toContain('<ObjectSizeGreaterThan>1048576</ObjectSizeGreaterThan>');
    expect(xml).toContain('<Transition>      <Days>30</Days>      <StorageClass>STANDARD_IA</StorageClass>'.replace(/ {6}/g, '\n      '));
    expect(screen.getByText('Unsaved changes.')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText('Saved: 1 rule.');
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.path).toBe('/buckets/photos/lifecycle');
    expect(put?.body).toEqual({
      rules: [
        {
          status: 'Enabled',
          filter: { and: { prefix: 'logs/', tags: [{ key: 'class', value: 'archive' }], objectSizeGreaterThan: 1048576 } },
          transitions: [{ days: 30, storageClass: 'STANDARD_IA' }],
          expiration: { days: 365 },
        },
      ],
    });
    // The stored rule, with the ID the server gave it, is what the list and the XML show now.
    const list = screen.getByRole('list', { name: 'Rules of photos' });
    expect(within(list).getByText('generated-1')).toBeInTheDocument();
    expect(list).toHaveTextContent('Objects under “logs/”, tagged class=archive, larger than 1 MiB: to the cold tier (STANDARD_IA) after 30 days; deleted after 365 days.');
    expect(screen.getByTestId('lifecycle-xml')).toHaveTextContent('<ID>generated-1</ID>');
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
  });

  it('checks the form before asking the server', async () => {
    const { calls } = mockApi({ 'GET /buckets/photos/lifecycle': NONE });
    renderApp(<LifecycleEditor bucket="photos" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    expect(screen.getByRole('alert')).toHaveTextContent('a rule must do something');

    const form = screen.getByRole('form', { name: 'New rule' });
    await userEvent.type(within(form).getByLabelText('Days to cold'), '30');
    await userEvent.type(within(form).getByLabelText('Days to delete'), '10');
    await userEvent.click(within(form).getByRole('button', { name: 'Done' }));
    expect(within(form).getByLabelText('Days to delete')).toHaveAccessibleDescription(/Deletion must come after the move to the cold tier/);
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it("shows the server's refusal next to the editor, and keeps the form to mend it", async () => {
    const { calls } = mockApi({
      'GET /buckets/photos/lifecycle': NONE,
      'PUT /buckets/photos/lifecycle': apiError(
        400,
        'invalid_storage_class',
        'The storage class "STANDARD_IA" in rule "x" is not valid: transitions go to the cold tier, whose storage class is "GLACIER".',
      ),
    });
    renderApp(<LifecycleEditor bucket="photos" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }));
    await userEvent.type(screen.getByLabelText('Days to cold'), '1');
    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    const alert = await screen.findByTestId('lifecycle-error');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(alert).toHaveTextContent('The server refused these rules (invalid_storage_class):');
    expect(alert).toHaveTextContent('whose storage class is "GLACIER"');
    expect(screen.getByRole('form', { name: 'New rule' })).toBeInTheDocument();
    expect(screen.getByLabelText('Days to cold')).toHaveValue('1');
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
  });

  it('keeps rules it cannot show intact, read-only, while another rule is edited', async () => {
    const server = lifecycleServer({ rules: [complex, simple], transitionDefaultMinimumObjectSize: 'all_storage_classes_128K' });
    const { calls } = mockApi(server.routes);
    renderApp(<LifecycleEditor bucket="photos" />);
    const list = await screen.findByRole('list', { name: 'Rules of photos' });
    const [first, second] = within(list).getAllByRole('listitem');
    expect(first).toHaveTextContent('it needs 2 tags, it uses dates, which this editor cannot show. Edit it with an S3 client.');
    expect(within(first!).queryByRole('button', { name: 'Edit uploads-cleanup' })).not.toBeInTheDocument();
    expect(second).toHaveTextContent('Objects under 128 KiB stay in the hot tier: the rule names no size.');

    await userEvent.click(within(second!).getByRole('button', { name: 'Edit logs-to-cold' }));
    // The form takes the rule's place in the list.
    const form = within(list).getByRole('form', { name: 'Edit rule logs-to-cold' });
    expect(within(form).getByLabelText('Prefix')).toHaveValue('logs/');
    expect(within(form).getByLabelText('Days to cold')).toHaveValue('30');
    await userEvent.clear(within(form).getByLabelText('Days to cold'));
    await userEvent.type(within(form).getByLabelText('Days to cold'), '7');
    await userEvent.click(within(form).getByRole('checkbox', { name: 'Enabled' }));
    await userEvent.click(within(form).getByRole('button', { name: 'Done' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText('Saved: 2 rules.');

    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({
      rules: [
        complex,
        {
          id: 'logs-to-cold',
          status: 'Disabled',
          filter: { prefix: 'logs/' },
          transitions: [{ days: 7, storageClass: 'STANDARD_IA' }],
        },
      ],
      transitionDefaultMinimumObjectSize: 'all_storage_classes_128K',
    });
    // The read-only rule's XML is there too.
    expect(screen.getByTestId('lifecycle-xml')).toHaveTextContent('<Date>2027-01-01T00:00:00.000Z</Date>');
  });

  it('deletes the configuration when no rule is left', async () => {
    const server = lifecycleServer({ rules: [simple] });
    const { calls } = mockApi(server.routes);
    renderApp(<LifecycleEditor bucket="photos" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Delete logs-to-cold' }));
    expect(screen.getByText(/No rules left: saving removes the configuration/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText('Saved: no rules, the default policy applies.');
    expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`)).toEqual(['DELETE /buckets/photos/lifecycle']);
    expect(server.stored).toBeNull();
  });

  it('discards changes', async () => {
    mockApi(lifecycleServer({ rules: [simple] }).routes);
    renderApp(<LifecycleEditor bucket="photos" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Delete logs-to-cold' }));
    await userEvent.click(screen.getByRole('button', { name: 'Discard changes' }));
    expect(within(screen.getByRole('list', { name: 'Rules of photos' })).getByText('logs-to-cold')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save rules' })).toBeDisabled();
  });

  it('copies the XML', async () => {
    mockApi(lifecycleServer({ rules: [simple] }).routes);
    const user = userEvent.setup();
    renderApp(<LifecycleEditor bucket="photos" />);
    await user.click(await screen.findByRole('button', { name: 'Copy the XML' }));
    await waitFor(async () => expect(await navigator.clipboard.readText()).toContain('<ID>logs-to-cold</ID>'));
    expect(await navigator.clipboard.readText()).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<LifecycleConfiguration/);
  });
});
