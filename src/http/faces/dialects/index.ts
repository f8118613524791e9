import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { DialectName } from '../../../core/index.js';
import type { PrefixRenderer } from '../../errors.js';
import { adidFace, renderAdidError } from './adid.js';
import { aisquareFace, renderAisquareError } from './aisquare.js';
import type { DialectOptions } from './context.js';
import type { DialectMount } from './mounts.js';
import { payabliFace, renderPayabliError } from './payabli.js';
import { renderSevenGError, sevenGFace } from './seven-g.js';
import { renderTransakError, transakFace } from './transak.js';

export type { DialectMount } from './mounts.js';

/** Each dialect's plugin and the prefix its unknown paths answer under, in its error format. */
const DIALECTS: Record<
  DialectName,
  { plugin: FastifyPluginAsync<DialectOptions>; notFound: PrefixRenderer }
> = {
  payabli: { plugin: payabliFace, notFound: { prefix: '/api/User/', render: renderPayabliError } },
  transak: {
    plugin: transakFace,
    notFound: { prefix: '/api/v2/auth/', render: renderTransakError },
  },
  sevenG: { plugin: sevenGFace, notFound: { prefix: '/User/', render: renderSevenGError } },
  aisquare: {
    plugin: aisquareFace,
    notFound: { prefix: '/api/v1/token/', render: renderAisquareError },
  },
  adid: { plugin: adidFace, notFound: { prefix: '/api/v1/auth/', render: renderAdidError } },
};

/** Mounts the listed dialects, each in its own plugin under its prefix. */
export async function mountDialects(
  app: FastifyInstance,
  mounts: readonly DialectMount[],
  options: DialectOptions,
): Promise<void> {
  for (const mount of mounts) {
    await app.register(DIALECTS[mount.name].plugin, { ...options, prefix: mount.prefix });
  }
}

/** Not-found renderers of the mounted dialects, for the app's one not-found handler. */
export function dialectNotFound(mounts: readonly DialectMount[]): PrefixRenderer[] {
  return mounts.map((mount) => {
    const { prefix, render } = DIALECTS[mount.name].notFound;
    return { prefix: `${mount.prefix}${prefix}`, render };
  });
}
