use reynard_collab::protocol::write_var_uint;
use std::time::Instant;
use yrs::updates::decoder::Decode;
use yrs::{StateVector, Update};

fn any_map_bomb(len: u64) -> Vec<u8> {
    let mut u = Vec::new();
    for v in [1u64, 1, 5, 0] {
        write_var_uint(&mut u, v);
    }
    u.push(8); // Any content
    write_var_uint(&mut u, 1); // named parent
    u.push(1);
    u.push(b'm');
    write_var_uint(&mut u, 1); // one Any
    u.push(118); // object
    write_var_uint(&mut u, len);
    u
}

#[test]
fn bombs() {
    for shift in [20u32, 24, 26, 28, 29, 30] {
        let t = Instant::now();
        let r = Update::decode_v1(&any_map_bomb(1 << shift));
        eprintln!("any map 2^{shift}: {:?} {:?}", t.elapsed(), r.err());
        let mut u = Vec::new();
        write_var_uint(&mut u, 1 << shift);
        let t = Instant::now();
        let r = Update::decode_v1(&u);
        eprintln!("clients 2^{shift}: {:?} {:?}", t.elapsed(), r.err());
        let t = Instant::now();
        let r = StateVector::decode_v1(&u);
        eprintln!("sv 2^{shift}: {:?} {:?}", t.elapsed(), r.err());
    }
}
