// `node scripts/make-icons.mjs`: renders the app icon sources in resources/ to every PNG the app and
// electron-builder use. The PNGs are committed; run this again after editing an SVG.
//
//   resources/icon.svg           the icon (1024 grid)     -> resources/icon.png (1024, Windows + Linux)
//                                                            resources/icon-mac.png (1024, macOS grid)
//                                                            resources/icons/NxN.png, N >= 48 (Linux)
//   resources/icon-small.svg     the icon fitted to 16 px  -> resources/icons/{16,24,32}.png
//                                                            resources/tray/tray.png, tray@2x.png
//                                                            renderer/public/favicon.svg (copy)
//   resources/tray-template.svg  black glyph              -> resources/tray/trayTemplate.png, @2x (macOS)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

const root = fileURLToPath(new URL('..', import.meta.url));
const resources = join(root, 'resources');
const read = (name) => readFileSync(join(resources, name), 'utf8');

/** Sizes electron-builder packs into the Linux icon theme (the file name carries the size). */
export const LINUX_ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
/** At and below this size the hand-fitted small source renders crisper than the big one. */
const SMALL_MAX = 32;

const icon = read('icon.svg');
const small = read('icon-small.svg');
const template = read('tray-template.svg');

/**
 * macOS Big Sur and later draw no mask of their own: the artwork sits on an 824 px body inside the
 * 1024 px canvas with a soft shadow, so the mac variant places the same drawing on that grid.
 */
function macVariant(svg) {
  const inner = svg.replace(/^[\s\S]*?<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '').replace(/<title>[\s\S]*?<\/title>/, '');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">
  <defs><filter id="mac-shadow" x="-10%" y="-10%" width="120%" height="125%">
    <feDropShadow dx="0" dy="12" stdDeviation="14" flood-color="#000000" flood-opacity="0.3"/>
  </filter></defs>
  <!-- icon.svg draws its tile at 48..976; map that onto the 100..924 body. -->
  <g filter="url(#mac-shadow)"><g transform="translate(57.38 57.38) scale(0.88793)">${inner}</g></g>
</svg>`;
}

function render(svg, size, file) {
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' }).render().asPng();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, png);
  console.log(`${relative(root, file)}  ${size}x${size}`);
}

render(icon, 1024, join(resources, 'icon.png'));
render(macVariant(icon), 1024, join(resources, 'icon-mac.png'));
for (const size of LINUX_ICON_SIZES) {
  render(size <= SMALL_MAX ? small : icon, size, join(resources, 'icons', `${size}x${size}.png`));
}
render(small, 16, join(resources, 'tray', 'tray.png'));
render(small, 32, join(resources, 'tray', 'tray@2x.png'));
render(template, 16, join(resources, 'tray', 'trayTemplate.png'));
render(template, 32, join(resources, 'tray', 'trayTemplate@2x.png'));

const favicon = join(root, 'renderer', 'public', 'favicon.svg');
mkdirSync(dirname(favicon), { recursive: true });
copyFileSync(join(resources, 'icon-small.svg'), favicon);
console.log(relative(root, favicon));
