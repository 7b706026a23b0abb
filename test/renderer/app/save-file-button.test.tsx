// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppInfo } from '../../../shared/ipc/app-contract';
import type { HdmsApi } from '../../../shared/ipc/contract';
import type { Transport } from '../../../shared/ipc/api-client';
import { ApiProvider } from '../../../renderer/app/api-context';
import { AppInfoContext } from '../../../renderer/app/app-info-context';
import { SaveFileButton } from '../../../renderer/app/save-file-button';

const FILE = { name: 'access-report-20261204T100000Z.csv', type: 'text/csv', parts: ['\uFEFFtime_utc\r\n'] } as const;

afterEach(cleanup);

describe('SaveFileButton in the desktop app (issue 11 F4)', () => {
  it('asks the body for its save dialog (the window refuses downloads) and says where the copy went', async () => {
    const saveExportAs = vi.fn(async () => ({ path: '/home/officer/Documents/report.csv' }));
    const api = { ledger: { saveExportAs } } as unknown as HdmsApi;
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click');
    render(
      <AppInfoContext.Provider value={{ host: 'electron' } as AppInfo}>
        <ApiProvider api={api} transport={{} as Transport}>
          <SaveFileButton file={FILE} label="Download report (CSV)" />
        </ApiProvider>
      </AppInfoContext.Provider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Save a copy of report (CSV)…' }));
    expect(await screen.findByText('/home/officer/Documents/report.csv')).toBeTruthy();
    expect(saveExportAs).toHaveBeenCalledWith({ file: FILE.name });
    expect(click).not.toHaveBeenCalled();
    click.mockRestore();
  });
});
