import { existsSync, mkdirSync } from 'node:fs';
import { url as inspectorUrl } from 'node:inspector';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
} from 'electron';
import { startBody, type Body } from './body';
import { describeErrorForLog } from './logging/error-report';
import { buildAppMenuTemplate } from './app/app-menu';
import { buildPaths, chromiumProfileDir, dataDirFromArgv, resourcesDir } from './app/app-paths';
import { createShutdown, type Shutdown } from './app/shutdown';
import { APP_ID, APP_VERSION, PRODUCT_NAME } from './config/app-identity';
import { bindContractToIpc } from './ipc/electron-ipc-binding';
import { trayIconPath } from './tray/tray-menu';
import { createSafeStorageKeychain } from './vault/safe-storage-keychain';
import { createTray } from './tray/tray';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './window/app-protocol';
import { createMainWindow, revealWindow } from './window/main-window';
import { BUILT_WORKER_FILE } from './intake/hl7/hl7-prepare-pool';
import { mllpPortFromArgv } from './intake/intake-settings';
import { dicomPortFromArgv } from './intake/dicom/dicom-settings';
import { serialPortsFromArgv } from './intake/devices/serial-port-args';
import { guardAllWebContents } from './window/navigation-guards';
import { blockRendererNetwork } from './window/request-filter';
import { refuseDebugSwitches } from './security/debug-switches';

/**
 * The Electron main process: a thin composition. Everything with logic lives in plain modules
 * (window/, tray/, app/, ipc/, body.ts) that are unit-tested without Electron.
 */

// First of all: a packaged build does not run with a debugger port open (fuses do not cover
// Chromium's remote debugging); nothing has touched the profile or the vault yet.
const debugRefusal = refuseDebugSwitches({ argv: process.argv, packaged: app.isPackaged, inspectorOpen: inspectorUrl() !== undefined });
if (debugRefusal !== null) {
  process.stderr.write(`hdms: ${debugRefusal}\n`);
  process.exit(2);
}

const dataDir = dataDirFromArgv(process.argv);
/** `--mllp-port=N` (or `--mllp-port N`): the HL7 listener's port for this run, 0 = disabled; a bad value is ignored. */
const mllpPort = ((): number | null => {
  try {
    return mllpPortFromArgv(process.argv);
  } catch {
    return null;
  }
})();
/** `--dicom-port=N` (or `--dicom-port N`): the DICOM receiver's port for this run, 0 = disabled; a bad value is ignored. */
const dicomPort = ((): number | null => {
  try {
    return dicomPortFromArgv(process.argv);
  } catch {
    return null;
  }
})();
/** `--serial-port PATH` (repeatable): serial ports the IEEE 11073 manager opens at start, as in the shell. */
const serialPorts = serialPortsFromArgv(process.argv);
// Chromium's profile and the single-instance lock live inside the data folder (see app-paths.ts).
// Both must be set before anything else touches the profile.
const profileDir = chromiumProfileDir(dataDir);
mkdirSync(profileDir, { recursive: true, mode: 0o700 });
app.setPath('userData', profileDir);

if (!app.requestSingleInstanceLock()) {
  // Another instance owns this data folder; it will come to the front (see 'second-instance').
  app.quit();
} else {
  runPrimaryInstance();
}

function runPrimaryInstance(): void {
  // Must happen before 'ready': the scheme's privileges are fixed when Chromium starts.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
  // Every renderer is sandboxed, even one created by a future mistake without the option.
  app.enableSandbox();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

  const { rendererDir, preloadPath } = buildPaths(__dirname);
  let body: Body | undefined;
  let bodyStarting: Promise<Body> | undefined;
  /** True once the body runs and IPC is bound: only then may a window load the UI. */
  let started = false;
  let mainWindow: BrowserWindow | null = null;
  let tray: Tray | null = null;

  const logFatal = (kind: string, error: unknown): void => {
    const described = describeErrorForLog(error);
    if (body !== undefined) body.log.fatal({ kind, ...described }, 'uncaught error in main process');
    else process.stderr.write(`hdms: ${kind} before the body started (${described.errorClass})\n`);
  };

  const shutdown: Shutdown = createShutdown({
    stopBody: async () => {
      // A quit during startup waits for the body to exist, so it is stopped, not abandoned.
      const running = body ?? (await bodyStarting?.catch(() => undefined));
      await running?.stop('quit');
    },
    exit: (code) => app.exit(code),
    onStopProblem: (problem, errorClass) => {
      process.stderr.write(`hdms: body stop ${problem}${errorClass === undefined ? '' : ` (${errorClass})`}\n`);
    },
  });

  // An uncaught exception leaves the main process in an unknown state: log it (class and stack
  // frames only), let the body flush, and exit non-zero. A stray rejection is logged only.
  process.on('uncaughtException', (error) => {
    logFatal('uncaughtException', error);
    void shutdown.quit(1);
  });
  process.on('unhandledRejection', (reason) => {
    const described = describeErrorForLog(reason);
    body?.log.error({ kind: 'unhandledRejection', ...described }, 'unhandled rejection in main process');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      body?.log.info({ signal }, 'signal received, quitting');
      void shutdown.quit(0);
    });
  }

  const openWindow = (): void => {
    if (mainWindow === null || mainWindow.isDestroyed()) {
      mainWindow = createMainWindow({
        BrowserWindow,
        preloadPath,
        isPackaged: app.isPackaged,
        prefersDark: nativeTheme.shouldUseDarkColors,
        ...(process.platform === 'linux' ? linuxIcon() : {}),
        isQuitting: () => shutdown.isQuitting(),
        onLoadFailed: (errorClass) => body?.log.error({ errorClass }, 'the app document failed to load'),
      });
      mainWindow.on('closed', () => {
        mainWindow = null;
      });
    } else {
      revealWindow(mainWindow);
    }
  };

  const linuxIcon = (): { iconPath?: string } => {
    const icon = path.join(resourcesDir({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() }), 'icon.png');
    return existsSync(icon) ? { iconPath: icon } : {};
  };

  app.on('second-instance', () => {
    if (started) openWindow();
  });
  app.on('before-quit', (event) => shutdown.onBeforeQuit(event));
  // The node keeps receiving data with no window open: closing the last window never quits.
  app.on('window-all-closed', () => {});
  // macOS: clicking the dock icon brings the window back.
  app.on('activate', () => {
    if (started) openWindow();
  });

  guardAllWebContents(app, {
    openExternal: (url) => {
      void shell.openExternal(url).catch(() => undefined);
    },
    onDenied: (event, details) => body?.log.warn({ guard: event, ...details }, 'renderer action denied'),
  });

  app
    .whenReady()
    .then(async () => {
      protocol.handle(
        APP_SCHEME,
        createAppProtocolHandler(rendererDir, {
          onError: (errorClass) => body?.log.error({ errorClass }, 'app:// asset could not be read'),
        }),
      );
      blockRendererNetwork(session.defaultSession, (origin, resourceType) =>
        body?.log.warn({ origin, resourceType }, 'renderer network request blocked'),
      );
      Menu.setApplicationMenu(Menu.buildFromTemplate(buildAppMenuTemplate({ platform: process.platform, isPackaged: app.isPackaged })));

      bodyStarting = startBody({
        dataDir,
        host: 'electron',
        productName: PRODUCT_NAME,
        appVersion: APP_VERSION,
        // safeStorage works only after 'ready'; the port asks it lazily anyway.
        keychain: createSafeStorageKeychain(safeStorage, path.join(dataDir, 'vault', 'keychain.bin')),
        // Native dialogs for the backup destination and the file to restore (the body gets paths only).
        backupDialogs: {
          chooseFolder: async () => {
            const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
            const options = { title: 'Backup destination', properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'> };
            const chosen = window === undefined ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(window, options);
            return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
          },
          chooseBackupFile: async () => {
            const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
            const options = { title: 'Backup to restore', properties: ['openFile'] as Array<'openFile'>, filters: [{ name: 'HDMS Node backups', extensions: ['hdmsbak'] }, { name: 'All files (a renamed copy)', extensions: ['*'] }] };
            const chosen = window === undefined ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(window, options);
            return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
          },
          chooseRegisterFile: async () => {
            const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
            const options = { title: 'Erasure register', properties: ['openFile'] as Array<'openFile'>, filters: [{ name: 'Erasure register', extensions: ['json'] }] };
            const chosen = window === undefined ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(window, options);
            return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
          },
        },
        // The folder a received dataset is saved into (network.chooseFolder).
        datasetDialogs: {
          chooseFolder: async () => {
            const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
            const options = { title: 'Save the dataset in', properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'> };
            const chosen = window === undefined ? await dialog.showOpenDialog(options) : await dialog.showOpenDialog(window, options);
            return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
          },
        },
        // Where a copy of an export is saved (ledger.saveExportAs; issue 11 F4).
        exportDialogs: {
          chooseSaveFile: async (defaultName) => {
            const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
            const extension = path.extname(defaultName).slice(1);
            const options = { title: 'Save a copy of the export', defaultPath: path.join(app.getPath('documents'), defaultName), filters: [{ name: extension.toUpperCase(), extensions: [extension] }] };
            const chosen = window === undefined ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(window, options);
            return chosen.canceled || chosen.filePath === undefined || chosen.filePath === '' ? null : chosen.filePath;
          },
        },
        mllpPort,
        dicomPort,
        serialPorts,
        hl7Workers: { script: path.join(__dirname, BUILT_WORKER_FILE) },
      });
      body = await bodyStarting;
      if (shutdown.isQuitting()) return;
      bindContractToIpc(body, ipcMain, () => BrowserWindow.getAllWindows());

      const resources = resourcesDir({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() });
      tray = createTray({
        Tray,
        buildMenu: (template) => Menu.buildFromTemplate(template),
        image: nativeImage.createFromPath(trayIconPath(resources)),
        platform: process.platform,
        actions: { open: openWindow, quit: () => void shutdown.quit(0) },
      });
      started = true;
      openWindow();
    })
    .catch((error: unknown) => {
      logFatal('startup', error);
      const described = describeErrorForLog(error);
      dialog.showErrorBox(
        `${PRODUCT_NAME} could not start`,
        `The node could not start (${described.errorClass}). Check that the data folder is writable:\n${dataDir}`,
      );
      void shutdown.quit(1);
    });

  // Keep the tray referenced for the life of the process (a collected Tray disappears).
  process.once('exit', () => {
    tray?.destroy();
  });
}
