// Test-data generators: realistic, seeded batch files in the three kinds Concur delivers.
export type { BatchSpec, GeneratedLine } from './lines.js';
export { generateLines } from './lines.js';
export type { BatchFileKind, RenderedBatchFile } from './render.js';
export { renderBatchFile, SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME } from './render.js';
export { writeSaeFile } from './sae.js';
export { deflatedEntry, zipBuffer, type DeflatedEntry, type ZipEntryInput } from './zip.js';
