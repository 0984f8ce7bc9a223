import { main } from '@fleetstream/stream';
import { storeDefinition } from './definition.ts';

main(storeDefinition);
