Console.WriteLine("MlcAspire.AppHost");
