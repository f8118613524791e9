import type { DialectName } from '../../../core/index.js';

/** A dialect to mount, at its documented path under `prefix` (`''` for none). */
export interface DialectMount {
  name: DialectName;
  prefix: string;
}
