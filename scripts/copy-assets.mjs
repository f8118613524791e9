// Copies the files the compiled server reads at run time (SQL migrations, the API reference's own
// page assets) from src/ into dist/, beside the modules that load them. Run by `npm run build`.
import { cpSync } from 'node:fs';
import { URL } from 'node:url';

const ASSET_DIRS = ['stores/sqlite/migrations', 'stores/postgres/migrations', 'http/docs/assets'];

for (const dir of ASSET_DIRS) {
  cpSync(new URL(`../src/${dir}`, import.meta.url), new URL(`../dist/${dir}`, import.meta.url), {
    recursive: true,
  });
}
