//! `kyso serve`: runs the HTTP service until interrupted.

use std::net::SocketAddr;

use clap::Args;

use super::{EXIT_UNREADABLE, EXIT_VALID};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "KYSO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

pub fn run(args: ServeArgs) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kyso serve: cannot start the async runtime: {e}");
            return EXIT_UNREADABLE;
        }
    };
    match runtime.block_on(crate::http::serve(args.listen)) {
        Ok(()) => EXIT_VALID,
        Err(e) => {
            eprintln!("kyso serve: {e}");
            EXIT_UNREADABLE
        }
    }
}
