// placeholder until the Electron main process lands in this commit series
export {};
