import { main } from '@fleetstream/stream';
import { sqlSource } from './definition.ts';

main(sqlSource);
