import { useCatalogStore } from './catalog';
import { useDevicesStore } from './devices';
import type { Names } from './rule-text';

/** Display names for rule text, from the catalogue and devices stores. */
export function useNames(): Names {
  const catalog = useCatalogStore();
  const devices = useDevicesStore();
  return {
    service: (id) => catalog.serviceName(id),
    category: (id) => catalog.categoryName(id),
    device: (id) => devices.labelOf(id),
  };
}
