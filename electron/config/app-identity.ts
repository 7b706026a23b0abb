/** Product identity, fixed at build time by electron-vite from package.json. */
declare const __APP_VERSION__: string;

export const PRODUCT_NAME = 'HDMS Node';
export const APP_ID = 'org.hdms.node';
export const APP_VERSION: string = typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev';
