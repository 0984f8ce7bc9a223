/**
 * Where the fields of an AVL record sit in each codec (shared by the record decoder and encoder).
 */
import { CODEC_16, CODEC_8, CODEC_8_EXTENDED } from './avl-record.ts';
import type { AvlCodecId } from './avl-record.ts';

export interface Layout {
  /** Bytes of the event I/O id and of each I/O id. */
  idSize: 1 | 2;
  /** Bytes of each group count (N1, N2, N4, N8; NX is always 2). */
  countSize: 1 | 2;
  /** Bytes of the total I/O count. */
  totalSize: 1 | 2;
  generationType: boolean;
  nx: boolean;
  /** Fixed bytes before the first group count: timestamp .. total count. */
  head: number;
}

export const GPS = 8 + 1 + 15; // timestamp, priority, GPS element
export const LAYOUTS: Record<AvlCodecId, Layout> = {
  [CODEC_8]: {
    idSize: 1,
    countSize: 1,
    totalSize: 1,
    generationType: false,
    nx: false,
    head: GPS + 2,
  },
  [CODEC_8_EXTENDED]: {
    idSize: 2,
    countSize: 2,
    totalSize: 2,
    generationType: false,
    nx: true,
    head: GPS + 4,
  },
  [CODEC_16]: {
    idSize: 2,
    countSize: 1,
    totalSize: 1,
    generationType: true,
    nx: false,
    head: GPS + 4,
  },
};
export const WIDTHS = [1, 2, 4, 8] as const;
export const TWO_32 = 4294967296;
