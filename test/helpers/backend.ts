// Shared test setup: the cpu backend (deterministic, always present) unless TEST_BACKEND says otherwise.
import { useBackend } from '../../src/backend.ts';

export async function testBackend(): Promise<void> {
  await useBackend(process.env.TEST_BACKEND ?? 'cpu', { explicit: true });
}
