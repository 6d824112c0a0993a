// Consul service-watch bodies of the shape a real agent POSTs (a health entry
// per instance: Node, Service, Checks with serfHealth and the service check,
// each with its Definition), compact JSON plus the trailing newline.

export function healthEntry(i: number, failing: boolean): unknown {
  const node = `srvnode-${1 + (i % 100)}`;
  const id = String(1000 + i);
  const check = (checkId: string, name: string, serviceId: string, status: string) => ({
    Node: node, CheckID: checkId, Name: name, Status: status, Notes: '', Output: status === 'passing' ? '' : 'm0ping: connection refused',
    ServiceID: serviceId, ServiceName: serviceId ? 'ios' : '', ServiceTags: [], Type: serviceId ? 'script' : '',
    Definition: { Interval: '0s', Timeout: '0s', DeregisterCriticalServiceAfter: '0s', HTTP: '', Header: null, Method: '', Body: '', TLSSkipVerify: false, TCP: '' },
    CreateIndex: 10 + i, ModifyIndex: 20 + i,
  });
  return {
    Node: { ID: '1e980571-4a55-bb9d-5eca-e37c06eead07', Node: node, Address: '127.0.0.1', Datacenter: 'dc1', TaggedAddresses: { lan: '127.0.0.1', wan: '127.0.0.1' }, Meta: { 'consul-network-segment': '' }, CreateIndex: 5, ModifyIndex: 6 },
    Service: { ID: id, Service: 'ios', Tags: [], Address: 'inet:tcp:127.0.0.1', Meta: { transport_type: 'libfab' }, Port: 21001 + (i % 1000), Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, Proxy: { MeshGateway: {}, Expose: {} }, Connect: {}, CreateIndex: 6, ModifyIndex: 6 },
    Checks: [check('serfHealth', 'Serf Health Status', '', 'passing'), check(`service:${id}`, "Service 'ios' check", id, failing ? 'warning' : 'passing')],
  };
}

/** Two bodies of n entries that differ in 10 % of the checks, so alternating them makes real broadcasts. */
export function alternatingBodies(n: number): [string, string] {
  const a: unknown[] = [], b: unknown[] = [];
  for (let i = 0; i < n; i++) { a.push(healthEntry(i, false)); b.push(healthEntry(i, i % 10 === 0)); }
  return [JSON.stringify(a) + '\n', JSON.stringify(b) + '\n'];
}
