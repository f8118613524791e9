import { createMemoryStore } from '../../src/stores/memory/memory-store.js';
import { describeStoreConformance } from './conformance.js';

describeStoreConformance('memory', { open: () => createMemoryStore() });
