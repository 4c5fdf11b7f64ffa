import { createTopologyTestDriver } from '../src/testing/index.ts';
const driver = await createTopologyTestDriver('topologies/clickstream/topology.yaml');
const click = (user: string, page: string, ts: number) => ({ key: user, value: { user, url: `https://shop.example${page}`, action: 'view', ts } });
await driver.input('clicks.raw').send([click('u-1', '/a', 1704067200000), click('u-2', '/a', 1704067201000)]);
await driver.input('clicks.raw').send(click('u-1', '/a', 1704067275000));
for (const t of Object.keys(driver.topology.topics)) { try { console.log(t, JSON.stringify((await driver.output(t).read()).map(r => [r.partition, r.offset, r.timestamp, r.value]))); } catch (e) { console.log(t, "undecodable"); } }
console.log(driver.topology.nodes.map(n => n.id));
await driver.close();
